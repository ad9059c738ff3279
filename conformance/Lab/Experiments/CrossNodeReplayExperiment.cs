using System.Net;
using System.Security.Cryptography;
using Testbed.Conformance.Harness;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Replay across the nodes of one cluster (docs/cluster.md, "Shared replay state"): a packet captured on its way to
/// one node is sent to another, which has never seen the session; and after the session moved to another node, a
/// packet it sent there is sent back to the node it left, whose own window stops below it. A cluster whose nodes keep
/// their replay windows to themselves processes both again; one with a shared window refuses both. The packet is a
/// ping, judged as in <see cref="ReplayExperiment"/>: a pong for its ping_id from a node that had not answered it.
/// </summary>
internal sealed class CrossNodeReplayExperiment() : LabExperiment(
    "cross-node-replay",
    "Replay across the nodes of a cluster",
    "per-node-replay-state",
    "MTProto msg_id rules (each msg_id of a session is processed once) applied to the front-ends of one DC; Sušánka & Kokeš, ROOTS 2017",
    "Needs a cluster: --target is node A (the proxy sits in front of it), --node gives the others. A client sends ping(ping_id) "
        + "through the proxy to node A and gets its pong. The proxy's captured packet is then sent, on a new connection of its own, "
        + "to each other node. Then the session moves: the client reconnects straight to node B and pings there, and that packet is "
        + "sent back to node A, which processed only the session's earlier messages. A pong for the ping_id from the node the "
        + "packet was replayed to means that node processed it again.")
{
    public override bool NeedsCluster => true;

    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        if (lab.Server.Nodes.Count == 0)
        {
            result.Add("replayed to another node", "skipped", null, "no other node of the cluster was given (--node tcp://host:port)");
            result.Stopped = true;
            return;
        }

        await using Probe probe = await lab.OpenProbeAsync(cancel);
        (long pingId, byte[] captured, HashSet<long> answered) = await ReplayExperiment.PingAsync(lab, probe, cancel);
        for (int i = 0; i < lab.Server.Nodes.Count; i++)
        {
            List<Reply> replies = await lab.InjectOnNewConnectionAsync(lab.Server.Nodes[i], probe, captured, cancel);
            ReplayExperiment.Judge(result, $"captured on its way to node A, replayed to node {NodeName(i)}", pingId, answered, replies);
        }

        await ReplayAfterTheSessionMovedAsync(lab, probe, result, cancel);
    }

    /// <summary>
    /// The session moves to node B and pings there; that packet goes back to node A. A's own window holds only the
    /// session's earlier, lower msg_ids, so only the cluster's shared window can know the packet was processed.
    /// </summary>
    private static async Task ReplayAfterTheSessionMovedAsync(LabSession lab, Probe probe, ExperimentResult result, CancellationToken cancel)
    {
        DnsEndPoint nodeB = lab.Server.Nodes[0];
        await probe.MoveToAsync(probe.Target with { Address = new Uri($"tcp://{nodeB.Host}:{nodeB.Port}") }, cancel);
        long pingId = RandomNumberGenerator.GetInt32(int.MaxValue) + 1L;
        byte[] sentToB = probe.Seal(Probe.Ping(pingId), out EnvelopeHeader _);
        Reply first = await probe.ExchangeAsync(sentToB, cancel);
        HashSet<long> answered = [.. ReplayExperiment.PongIds(first, pingId)];
        if (answered.Count == 0)
        {
            throw new LabException($"node B did not answer the moved session's ping; it sent {first}");
        }

        List<Reply> replies = await lab.InjectOnNewConnectionAsync(lab.Server.Tcp, probe, sentToB, cancel);
        ReplayExperiment.Judge(result, "after the session moved to node B, its packet to B replayed to node A", pingId, answered, replies);
    }

    private static string NodeName(int index) => ((char)('B' + index)).ToString();
}
