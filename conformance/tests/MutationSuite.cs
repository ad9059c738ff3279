using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The test suite of the mutation run (conformance/mutation/run.sh): the whole catalogue once against the in-process
/// reference server, and nothing else, so that a mutant of the server's security-critical code is killed only when
/// a conformance case notices it. The score then measures the harness, not the unit tests. It is the fault zoo's
/// clean run, once (the zoo runs it twice, which would double every mutant's cost), over TCP; the cases that do not
/// apply over TCP then run again over HTTP, or a mutant of what only HTTP exercises (http_wait, SVC-011) would meet
/// no case and survive.
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
        IReadOnlyList<CaseResult> overTcp = await ConformanceRunner.RunAsync(target, ConformanceCatalog.All, Expectations.None, jobs: 4, progress: null,
            CancellationToken.None);
        ConformanceCase[] notOverTcp = [.. overTcp.Where(r => r.Verdict == Verdict.NotApplicable).Select(r => r.Case)];
        IReadOnlyList<CaseResult> overHttp = await ConformanceRunner.RunAsync(target with { Address = new Uri(server.HttpBase, "/api") }, notOverTcp,
            Expectations.None, jobs: 4, progress: null, CancellationToken.None);
        CaseResult[] results = [.. overTcp, .. overHttp];
        string[] failed = [.. results.Where(r => r.Verdict == Verdict.Fail).Select(r => $"{r.Case.Id}: {r.Evidence}")];
        Assert.True(failed.Length == 0, string.Join("; ", failed));
    }
}
