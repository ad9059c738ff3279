using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The catalogue against an in-process reference server, as the fault zoo, the violations, the mutation suite and
/// the transport runs use it: one way to address the server, one way to run cases, one way to report failures.
/// </summary>
internal static class InProcessTargets
{
    /// <summary>
    /// Server arguments for a catalogue run: a handshake budget the run's handshakes fit in (a flood case needs its
    /// limit within reach: the zoo's 200 a minute) and pending handshakes that expire in 2 s, as the target expects.
    /// </summary>
    public static string[] ServerArguments(int handshakeMessagesPerMinute) =>
        [$"--Testbed:HandshakeMessagesPerMinute={handshakeMessagesPerMinute}", "--Testbed:PendingHandshakeSeconds=2"];

    /// <summary>The server over <paramref name="transport"/> (tcp with the intermediate framing, ws or http).</summary>
    public static Target For(RunningServer server, string transport = "tcp") =>
        new(AddressOf(server, transport), TransportFraming.Intermediate, server.PublicKey, 1) { HandshakeExpiry = TimeSpan.FromSeconds(2) };

    /// <summary>The reference server's MTProto endpoint for a transport.</summary>
    public static Uri AddressOf(RunningServer server, string transport) => transport switch
    {
        "http" => new Uri(server.HttpBase, "/api"),
        "ws" => new Uri($"ws://127.0.0.1:{server.HttpPort}/apiws"),
        _ => new Uri($"tcp://127.0.0.1:{server.TcpPort}"),
    };

    /// <summary>Runs cases four at a time, as the tool does by default.</summary>
    public static Task<IReadOnlyList<CaseResult>> RunAsync(Target target, IEnumerable<ConformanceCase> cases) =>
        ConformanceRunner.RunAsync(target, [.. cases], Expectations.None, jobs: 4, progress: null, CancellationToken.None);

    /// <summary>"ID: evidence" for every failure, for an assertion message.</summary>
    public static string Failures(IEnumerable<CaseResult> results) =>
        string.Join("; ", results.Where(r => r.Verdict == Verdict.Fail).Select(r => $"{r.Case.Id}: {r.Evidence}"));
}
