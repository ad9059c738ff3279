using System.Security.Cryptography;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Padding-length extension (Jakobsen and Orlandi, 2016; docs/protocol.md §2.4, §7): the proxy appends random blocks
/// to a client's packet on the way. MTProto 2.0's msg_key covers the padding, and the padding is 12 to 1024 bytes,
/// so a hardened server refuses the longer packet; a server that ignores trailing blocks accepts it.
/// </summary>
internal sealed class PaddingExtensionExperiment() : LabExperiment(
    "padding-extension",
    "Padding-length extension",
    "padding-unchecked",
    "Jakobsen & Orlandi, On the CCA (in)security of MTProto, SPSM 2016",
    "A client sends ping(ping_id) through the proxy. The proxy appends random 16-byte blocks to the ciphertext (rule "
        + "append-block, once per block) and forwards the longer packet in place of the original. A pong means the server "
        + "accepted the extended message. A control case sends the packet unmodified.")
{
    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        foreach (int blocks in new[] { 0, 1, 4 })
        {
            await using Probe probe = await lab.OpenProbeAsync(cancel);
            ProxiedConnection connection = lab.LastConnection();
            int next = lab.Capture.Packets(PacketDirection.ClientToServer, connection.Id).Count + 1;
            lab.Proxy.Core.SetRules(Enumerable.Repeat(new ProxyRule(PacketDirection.ClientToServer, next, RuleAction.AppendBlock, 0), blocks));
            long pingId = RandomNumberGenerator.GetInt32(int.MaxValue) + 1L;
            Reply reply = await probe.SendAsync(Probe.Ping(pingId), cancel);
            lab.Proxy.Core.SetRules([]);
            bool accepted = reply.Messages.Any(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId);
            string name = blocks == 0 ? "control: the packet unmodified" : $"{blocks} block{(blocks == 1 ? "" : "s")} ({blocks * 16} bytes) appended";
            result.Add(name, accepted ? "accepted" : "refused", blocks == 0 ? null : accepted, $"the server sent {reply}");
            if (blocks == 0 && !accepted)
            {
                result.Notes.Add("The unmodified control packet was not accepted, so the other cases say nothing about padding.");
            }
        }
    }
}
