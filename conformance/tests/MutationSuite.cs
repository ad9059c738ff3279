using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
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
        await using RunningServer server = await RunningServer.StartAsync(InProcessTargets.ServerArguments(600));
        IReadOnlyList<CaseResult> overTcp = await InProcessTargets.RunAsync(InProcessTargets.For(server), ConformanceCatalog.All);
        IReadOnlyList<CaseResult> overHttp = await InProcessTargets.RunAsync(InProcessTargets.For(server, "http"),
            overTcp.Where(r => r.Verdict == Verdict.NotApplicable).Select(r => r.Case));
        CaseResult[] results = [.. overTcp, .. overHttp];
        Assert.True(results.All(r => r.Verdict != Verdict.Fail), InProcessTargets.Failures(results));
    }
}
