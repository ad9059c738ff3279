using System.Security.Cryptography;
using System.Text;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Reordering, attack 1 of Albrecht, Mareková, Paterson and Stepanovs (IEEE S&amp;P 2022): Alice sends Bob three chat
/// messages; the proxy holds the first back and releases it after the later ones. On a server that accepts a lower
/// msg_id late, Bob's history reads 2, 3, 1 and Alice is never told.
/// </summary>
internal sealed class ReorderingExperiment() : LabExperiment(
    "reordering",
    "Reordering a conversation (2022 attack 1)",
    "reordering-tolerated",
    "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 1",
    "Alice (through the proxy) and Bob (directly) register in the chat. Alice sends Bob three messages, \"1\", \"2\" and \"3\", "
        + "each in its own packet, without waiting. The proxy holds Alice's first packet back and releases it after one or two of "
        + "the later packets (rule hold=N). Bob then reads the conversation with chat.getHistory. The attack worked when Bob's "
        + "history shows the messages out of the order Alice sent them; Alice was told when she got a bad_msg_notification or an "
        + "rpc_error for the held message.")
{
    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        SharedKey bobKey = await lab.NewKeyAsync(cancel);
        var readOrders = new List<(string Case, string[] Sent, string[] Read)>();
        foreach (int laterPackets in new[] { 1, 2 })
        {
            await using Probe alice = await lab.OpenProbeAsync(cancel);
            await using Probe bob = await lab.OpenProbeAsync(cancel, direct: true, bobKey);
            long aliceId = await RegisterAsync(alice, "alice", cancel);
            long bobId = await RegisterAsync(bob, "bob", cancel);

            ProxiedConnection connection = lab.LastConnection();
            int next = lab.Capture.Packets(PacketDirection.ClientToServer, connection.Id).Count + 1;
            lab.Proxy.Core.SetRules([new ProxyRule(PacketDirection.ClientToServer, next, RuleAction.Hold, laterPackets)]);
            // Each case's messages carry its own prefix, so the history of earlier cases between the same two users is left out.
            string prefix = $"case {laterPackets}: ";
            string[] texts = [.. Enumerable.Range(1, laterPackets + 1).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
            var sent = new List<EnvelopeHeader>();
            foreach (string text in texts)
            {
                byte[] wire = alice.Seal(Probe.Call("chat.sendMessage", bobId, RandomNumberGenerator.GetInt32(int.MaxValue) + 1L, Encoding.UTF8.GetBytes(text)), out EnvelopeHeader header);
                sent.Add(header);
                await alice.Transport.SendAsync(wire, cancel);
            }

            List<Reply> aliceReplies = await LabSession.CollectAsync(alice, TimeSpan.FromMilliseconds(700), cancel);
            lab.Proxy.Core.SetRules([]);

            TlObject history = await LabSession.CallAsync(bob, Probe.Call("chat.getHistory", aliceId, 0L, 50), cancel);
            string[] order = [.. (history.Combinator.Name == "chat.messages" ? history.Get<object?[]>("messages") : [])
                .Cast<TlObject>().OrderBy(m => m.Get<long>("id")).Select(m => Encoding.UTF8.GetString(m.Get<byte[]>("text"))).Where(t => t.StartsWith(prefix, StringComparison.Ordinal))];
            long heldId = sent[0].MsgId;
            string? told = aliceReplies.SelectMany(r => r.Messages).Select(m => m.Body).Select(b => b.Combinator.Name switch
            {
                "bad_msg_notification" when b.Get<long>("bad_msg_id") == heldId => $"bad_msg_notification {b.Get<int>("error_code")}",
                "rpc_result" when b.Get<long>("req_msg_id") == heldId && b.Get<TlObject>("result").Combinator.Name == "rpc_error" => "rpc_error",
                _ => null,
            }).FirstOrDefault(t => t is not null);

            string name = $"\"1\" held until {laterPackets} later message{(laterPackets == 1 ? "" : "s")} passed";
            bool reordered = order.Length == texts.Length && !order.SequenceEqual(texts);
            string historyText = order.Length == 0 ? "empty" : string.Join(", ", order.Select(t => t[prefix.Length..]));
            string sender = told is null ? "Alice was not told" : $"Alice was told ({told})";
            result.Add(name,
                reordered ? $"Bob's history reads {historyText}" : order.SequenceEqual(texts) ? "delivered in order" : $"\"1\" not delivered; Bob's history reads {historyText}",
                reordered,
                $"{sender}; Alice's replies: {string.Join("; ", aliceReplies.Select(r => r.ToString()))}");
            readOrders.Add((name, [.. texts.Select(t => t[prefix.Length..])], [.. order.Select(t => t[prefix.Length..])]));
            result.Data[$"hold_{laterPackets}"] = new System.Text.Json.Nodes.JsonObject
            {
                ["sent"] = string.Join(",", texts.Select(t => t[prefix.Length..])),
                ["history"] = string.Join(",", order.Select(t => t[prefix.Length..])),
                ["sender_told"] = told,
            };
        }

        result.Plots.Add(OrderPlot(lab.Server.Description, readOrders));
    }

    /// <summary>Each message's place as Alice sent it against its place in Bob's history: a reordering leaves the diagonal.</summary>
    private static LabPlot OrderPlot(string server, List<(string Case, string[] Sent, string[] Read)> cases) =>
        new("order-sent-vs-read", "Message order as Alice sent it against the order Bob reads it (the diagonal: in order)", plot =>
        {
            int longest = cases.Max(c => c.Sent.Length);
            var diagonal = plot.Add.Line(1, 1, longest, longest);
            diagonal.LegendText = "in order";
            diagonal.LinePattern = ScottPlot.LinePattern.Dotted;
            foreach ((string name, string[] sent, string[] read) in cases)
            {
                // Messages Bob never read have no place in his history and are left out.
                (double Sent, double Read)[] places = [.. sent.Select((text, i) => (Sent: i + 1.0, Read: Array.IndexOf(read, text) + 1.0)).Where(p => p.Read > 0)];
                var series = plot.Add.Scatter(places.Select(p => p.Sent).ToArray(), places.Select(p => p.Read).ToArray());
                series.LegendText = name;
                series.MarkerSize = 10;
            }

            plot.Axes.SetLimits(0.5, longest + 0.5, 0.5, longest + 0.5);
            plot.XLabel("place in Alice's sending order");
            plot.YLabel("place in Bob's history");
            plot.Title($"Reordering: {server}");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        });

    private static async Task<long> RegisterAsync(Probe probe, string name, CancellationToken cancel)
    {
        TlObject user = await LabSession.CallAsync(probe, Probe.Call("chat.register", Encoding.UTF8.GetBytes(name)), cancel);
        return user.Combinator.Name == "chat.user" ? user.Get<long>("id") : throw new LabException($"chat.register was answered with {user.Combinator.Name}");
    }
}
