using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The test suite of the mutation run (conformance/mutation/run.sh): the whole catalogue once against the in-process
/// reference server, and nothing else, so that a mutant of the server's security-critical code is killed only when
/// a conformance case notices it. The score then measures the harness, not the unit tests. It is the fault zoo's
/// clean run, once (the zoo runs it twice, which would double every mutant's cost), over TCP; the cases that do not
/// apply over TCP then run over HTTP, and what still does not apply over WebSocket, or a mutant of what only those
/// transports exercise (http_wait, SVC-011) would meet no case and survive.
/// Every case must pass on some transport. "Not applicable" is no pass: a mutant that makes the server refuse every
/// handshake with -429 or -404 leaves every case without a key, "not applicable", and no case failing.
/// </summary>
public sealed class MutationSuite
{
    [Fact]
    public async Task Every_case_passes_against_the_reference_server_on_a_transport_where_it_applies()
    {
        // The zoo's budget: the flood case needs the limit within reach, and runs last, as it spends the budget.
        await using RunningServer server = await RunningServer.StartAsync(InProcessTargets.ServerArguments(200));
        var results = new List<CaseResult>();
        IEnumerable<ConformanceCase> cases = ConformanceCatalog.All.Where(c => !c.Floods);
        foreach (string transport in (string[])["tcp", "http", "ws"])
        {
            IReadOnlyList<CaseResult> run = await InProcessTargets.RunAsync(InProcessTargets.For(server, transport), cases);
            results.AddRange(run);
            cases = [.. run.Where(r => r.Verdict == Verdict.NotApplicable).Select(r => r.Case)];
        }

        results.AddRange(await InProcessTargets.RunAsync(InProcessTargets.For(server) with { IncludeFloods = true },
            ConformanceCatalog.All.Where(c => c.Floods)));

        Assert.True(results.All(r => r.Verdict != Verdict.Fail), InProcessTargets.Failures(results));
        // A cluster's case cannot pass against one server; cluster/ci.sh shows it passing against the clean cluster.
        string[] neverPassed = [.. ConformanceCatalog.All.Where(c => !c.NeedsCluster && !results.Any(r => r.Case.Id == c.Id && r.Verdict == Verdict.Pass))
            .Select(c => $"{c.Id}: {results.Last(r => r.Case.Id == c.Id).Evidence}")];
        Assert.True(neverPassed.Length == 0, $"not applicable on every transport: {string.Join("; ", neverPassed)}");
    }
}
