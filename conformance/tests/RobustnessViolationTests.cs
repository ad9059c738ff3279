using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// ROB-004 shown able to fail where the clean server passes it. The violation test's server allows 600 handshake
/// messages a minute (for the handshake category), more than the flood's 300, so there the clean server fails ROB-004
/// too and the violation proves nothing; at the fault zoo's 200 a minute the clean server cuts the flood off with -429
/// and only the violation lets it through.
/// </summary>
public sealed class RobustnessViolationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_handshake_flood_case_passes_on_the_clean_server_and_fails_on_its_violation(bool violating)
    {
        ConformanceCase flood = ConformanceCatalog.Find("ROB-004")!;
        string[] arguments = ["--Testbed:HandshakeMessagesPerMinute=200", "--Testbed:PendingHandshakeSeconds=2"];
        await using RunningServer server = violating
            ? await RunningServer.StartViolatingAsync(RobustnessViolations.HandshakeFloodUnlimited, arguments)
            : await RunningServer.StartAsync(arguments);
        var target = new Target(new Uri($"tcp://127.0.0.1:{server.TcpPort}"), TransportFraming.Intermediate, server.PublicKey, 1)
        {
            HandshakeExpiry = TimeSpan.FromSeconds(2),
            IncludeFloods = true,
        };

        CaseResult result = (await ConformanceRunner.RunAsync(target, [flood], Expectations.None, jobs: 1, progress: null, CancellationToken.None)).Single();

        Assert.True(result.Verdict == (violating ? Verdict.Fail : Verdict.Pass), $"{(violating ? "violating" : "clean")} server: {result.Verdict}: {result.Evidence}");
    }
}
