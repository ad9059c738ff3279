using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// SVC-011 applies over HTTP only, where <see cref="ViolationTests"/> (TCP) does not run it: against a server that ignores
/// http_wait it fails, and the rest of the service category still passes over HTTP.
/// </summary>
public sealed class ServiceViolationTests
{
    [Fact]
    public async Task Ignoring_http_wait_fails_SVC_011_and_only_it_over_HTTP()
    {
        await using RunningServer server = await RunningServer.StartViolatingAsync(ServiceViolations.HttpWaitIgnored,
            "--Testbed:HandshakeMessagesPerMinute=600");
        var target = new Target(new Uri(server.HttpBase, "/api"), TransportFraming.Intermediate, server.PublicKey, 1);
        ConformanceCase[] cases = [.. ConformanceCatalog.All.Where(c => c.Category == "service")];

        IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(target, cases, Expectations.None, jobs: 4, progress: null, CancellationToken.None);

        CaseResult own = results.Single(r => r.Case.Id == "SVC-011");
        Assert.True(own.Verdict == Verdict.Fail, $"SVC-011: {own.Verdict}: {own.Evidence}");
        string[] collateral = [.. results.Where(r => r.Verdict == Verdict.Fail && r.Case.Id != "SVC-011").Select(r => $"{r.Case.Id}: {r.Evidence}")];
        Assert.True(collateral.Length == 0, string.Join("; ", collateral));
    }
}
