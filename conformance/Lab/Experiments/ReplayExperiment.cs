using System.Security.Cryptography;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Replay (docs/protocol.md §3.2, §3.4, §7): the proxy re-sends a client packet it captured — at once, after N
/// other messages of the session (N up to beyond the 1024-id replay window), after the salt rotated, on a new
/// connection, after a server restart. The packet is a ping, so "processed again" has evidence the client can see:
/// a second pong for the same ping_id under a msg_id the server had not used for it.
/// </summary>
internal sealed class ReplayExperiment() : LabExperiment(
    "replay",
    "Replay of captured client packets",
    "accept-duplicates",
    "Sušánka & Kokeš, Security Analysis of the Telegram IM, ROOTS 2017; MTProto msg_id rules",
    "A client sends ping(ping_id) through the proxy and gets its pong. The proxy, which sees only ciphertext, sends the same "
        + "captured packet again: at once; after N more messages of the same session; after the server's clock has moved past the "
        + "next salt rotation; on a new connection of its own; after the server restarted. A pong for that ping_id under a new "
        + "server msg_id means the server processed the message again.")
{
    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        await ReplaySameConnectionAsync(lab, result, "immediately", (_, _) => Task.CompletedTask, cancel);
        int[] counts = lab.Budget == LabBudget.Small ? [1, 10, 1100] : [1, 2, 10, 100, 1023, 1024, 1100, 2000];
        foreach (int n in counts)
        {
            await ReplaySameConnectionAsync(lab, result, $"after {n} other message{(n == 1 ? "" : "s")}", async (probe, c) =>
            {
                for (int i = 0; i < n; i++)
                {
                    await probe.SendAsync(Probe.Ping(RandomNumberGenerator.GetInt32(int.MaxValue)), c);
                }
            }, cancel);
        }

        await ReplayOnNewConnectionAsync(lab, result, "on a new connection", (_, _) => Task.CompletedTask, cancel);

        // The restart comes before the clock is moved: a restarted server's lab clock starts again from the system time.
        if (lab.Server.CanRestart)
        {
            await ReplayOnNewConnectionAsync(lab, result, "after a server restart", (_, _) => lab.RestartServerAsync(), cancel);
        }
        else
        {
            result.Add("after a server restart", "skipped", null, "only a server the lab starts itself can be restarted");
        }

        if (await lab.Server.HasLabClockAsync(cancel))
        {
            await ReplayOnNewConnectionAsync(lab, result, "after the salt rotated (server clock moved 31 min)",
                (_, c) => lab.AdvanceClockAsync(TimeSpan.FromMinutes(31), c), cancel);
        }
        else
        {
            result.Add("after the salt rotated", "skipped", null, "the server has no lab clock (--Testbed:LabClock=true)");
        }
    }

    private static async Task ReplaySameConnectionAsync(LabSession lab, ExperimentResult result, string name,
        Func<Probe, CancellationToken, Task> between, CancellationToken cancel)
    {
        await using Probe probe = await lab.OpenProbeAsync(cancel);
        (long pingId, byte[] captured, HashSet<long> answered) = await PingAsync(lab, probe, cancel);
        await between(probe, cancel);
        await lab.LastConnection().InjectAsync(PacketDirection.ClientToServer, captured, cancel);
        List<Reply> replies = await LabSession.CollectAsync(probe, TimeSpan.FromMilliseconds(500), cancel);
        Judge(result, name, pingId, answered, replies);
    }

    private static async Task ReplayOnNewConnectionAsync(LabSession lab, ExperimentResult result, string name,
        Func<Probe, CancellationToken, Task> between, CancellationToken cancel)
    {
        await using Probe probe = await lab.OpenProbeAsync(cancel);
        (long pingId, byte[] captured, HashSet<long> answered) = await PingAsync(lab, probe, cancel);
        await between(probe, cancel);
        (ProxiedConnection connection, Stream attacker) = await lab.Proxy.ConnectAsync([.. FramingDetector.Marker(TransportFraming.Intermediate)], cancel);
        await using (attacker)
        {
            await connection.InjectAsync(PacketDirection.ClientToServer, captured, cancel);
            var replies = new List<Reply>();
            var reader = new FrameReader(TransportFraming.Intermediate);
            var buffer = new FrameBuffer(FrameReader.DefaultMaxPayloadLength);
            byte[] chunk = new byte[64 * 1024];
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            quiet.CancelAfter(TimeSpan.FromMilliseconds(1500));
            try
            {
                while (await attacker.ReadAsync(chunk, quiet.Token) is > 0 and int n && buffer.Append(chunk.AsSpan(0, n)))
                {
                    while (buffer.TakeFrame(reader) is { } packet)
                    {
                        replies.Add(probe.Open(packet));
                    }
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // Quiet for long enough: everything the server had to say has arrived.
            }

            Judge(result, name, pingId, answered, replies);
        }
    }

    /// <summary>A ping through the proxy, answered: its ping_id, the packet the proxy captured, and the pongs' msg_ids.</summary>
    internal static async Task<(long PingId, byte[] Captured, HashSet<long> Answered)> PingAsync(LabSession lab, Probe probe, CancellationToken cancel)
    {
        long pingId = RandomNumberGenerator.GetInt32(int.MaxValue) + 1L;
        Reply first = await probe.SendAsync(Probe.Ping(pingId), cancel);
        byte[] captured = lab.LastClientPacket();
        return (pingId, captured, [.. PongIds(first, pingId)]);
    }

    /// <summary>The msg_ids of the pongs for <paramref name="pingId"/> in a reply.</summary>
    internal static IEnumerable<long> PongIds(Reply reply, long pingId) =>
        reply.Messages.Where(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId).Select(m => m.MsgId);

    /// <summary>Processed again when a pong for the ping arrived under a msg_id not already seen for it; else refused.</summary>
    internal static void Judge(ExperimentResult result, string name, long pingId, HashSet<long> answered, List<Reply> replies)
    {
        long[] fresh = [.. replies.SelectMany(r => PongIds(r, pingId)).Where(id => !answered.Contains(id)).Distinct()];
        string seen = replies.Count == 0 ? "no answer" : string.Join("; ", replies.Select(r => r.ToString()));
        if (fresh.Length > 0)
        {
            result.Add(name, "processed again", true, $"a new pong for ping_id {pingId} (server msg_id {fresh[0]:x16}); the server sent {seen}");
        }
        else
        {
            int? code = replies.Select(r => r.BadMsgCode).FirstOrDefault(c => c is not null);
            result.Add(name, code is { } c ? $"refused (bad_msg_notification {c})" : "refused", false, $"no new pong; the server sent {seen}");
        }
    }
}
