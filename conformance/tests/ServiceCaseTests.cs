using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The audited categories (session, service, transport, robustness, timing) over the transports the fault zoo does not
/// use (it runs over TCP): the clean server passes them all, including SVC-011 over HTTP (now an empty answer, not any
/// answer) and TRN-007 over WebSocket, which are not applicable over TCP.
/// </summary>
public sealed class ServiceCaseTests
{
    [Theory]
    [InlineData("ws", "TRN-007")]
    [InlineData("http", "SVC-011")]
    public async Task The_clean_server_passes_the_audited_categories_over_WebSocket_and_HTTP(string scheme, string onlyHere)
    {
        await using RunningServer server = await RunningServer.StartAsync(InProcessTargets.ServerArguments(200));
        IReadOnlyList<CaseResult> results = await InProcessTargets.RunAsync(InProcessTargets.For(server, scheme),
            ConformanceCatalog.All.Where(c => c.Category is "session" or "service" or "transport" or "robustness" or "timing"));

        Assert.True(results.All(r => r.Verdict != Verdict.Fail), InProcessTargets.Failures(results));
        Assert.Equal(Verdict.Pass, results.Single(r => r.Case.Id == onlyHere).Verdict);
    }
}
