using System.Net;
using System.Net.Sockets;
using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The msgid, envelope and seqno cases judge answers, not the absence of a wrong one: a target that says nothing (a
/// connection that accepts and never answers, under a key made on the real server) passes none of them. Before the
/// audit of issue 18 it passed MID-004, MID-005 and MID-008 (silence showed no second pong) and ENV-013 (three
/// silences are three identical answers). Each fails by naming what went unanswered: MID-009 and MID-011, which make
/// a key of their own, once ran out their case's minute waiting for that handshake.
/// </summary>
public sealed class MsgIdCaseTests
{
    [Fact]
    public async Task A_target_that_answers_nothing_passes_no_msgid_envelope_or_seqno_case()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=200");
        var real = new Target(new Uri($"tcp://127.0.0.1:{server.TcpPort}"), TransportFraming.Intermediate, server.PublicKey, 1);
        SharedKey key = await SharedKey.CreateAsync(real, CancellationToken.None);

        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        Task accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptTcpClientAsync(stop.Token));
            }
        });

        var target = new Target(new Uri($"tcp://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"), TransportFraming.Intermediate, server.PublicKey, 1)
        {
            Key = key,
        };

        // A cluster's case (MID-015) is not applicable against one target, silent or not.
        ConformanceCase[] cases = [.. ConformanceCatalog.All.Where(c => c.Category is "msgid" or "envelope" or "seqno" && !c.NeedsCluster)];
        IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(target, cases, Expectations.None, jobs: cases.Length, progress: null, CancellationToken.None);
        await stop.CancelAsync();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }

        held.ForEach(client => client.Dispose());

        string[] passed = [.. results.Where(r => r.Verdict != Verdict.Fail).Select(r => $"{r.Case.Id} ({r.Verdict}): {r.Evidence}")];
        Assert.True(passed.Length == 0, "passed against silence: " + string.Join("; ", passed));
        // Each says what went unanswered; none runs out the case's minute (a handshake of its own has the first one's 20 s).
        string[] timedOut = [.. results.Where(r => r.Evidence.StartsWith("did not finish", StringComparison.Ordinal)).Select(r => r.Case.Id)];
        Assert.True(timedOut.Length == 0, "ran out the case's time against silence: " + string.Join(", ", timedOut));
    }
}
