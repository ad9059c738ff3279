using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The test suite of the mutation run (conformance/mutation/run.sh): the whole catalogue once against the in-process
/// reference server, and nothing else, so that a mutant of the server's security-critical code is killed only when
/// a conformance case notices it. The score then measures the harness, not the unit tests. It is the fault zoo's
/// clean run, once (the zoo runs it twice, which would double every mutant's cost).
/// </summary>
public sealed class MutationSuite
{
    [Fact]
    public async Task The_catalogue_passes_against_the_reference_server()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=600", "--Testbed:PendingHandshakeSeconds=2");
        var target = new Target(new Uri($"tcp://127.0.0.1:{server.TcpPort}"), TransportFraming.Intermediate, server.PublicKey, 1)
        {
            HandshakeExpiry = TimeSpan.FromSeconds(2),
        };
        IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(target, ConformanceCatalog.All, Expectations.None, jobs: 4, progress: null,
            CancellationToken.None);
        string[] failed = [.. results.Where(r => r.Verdict == Verdict.Fail).Select(r => $"{r.Case.Id}: {r.Evidence}")];
        Assert.True(failed.Length == 0, string.Join("; ", failed));
    }
}
