using System.Text;
using System.Text.Json.Nodes;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Re-send header reuse, attack 2 of Albrecht et al. 2022 (docs/protocol.md §3.9, §7): when a message is sent again,
/// two ciphertexts must not share msg_id and seq_no. The proxy records every packet while re-sends are provoked; the
/// experiment then opens each captured packet with the key and looks for two different ciphertexts under one header.
/// </summary>
internal sealed class ResendHeaderExperiment() : LabExperiment(
    "resend-header",
    "Re-sends under the same header (2022 attack 2)",
    "resends-reuse-header",
    "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 2",
    "Re-sends are provoked while the proxy records: (1) the server's, by leaving its rpc_result unacknowledged and asking for "
        + "it again with msg_resend_req; (2) the server's, by moving the session to a new connection, where it re-sends what was "
        + "not acknowledged; (3) the C# client library's, by moving the server's lab clock 400 s ahead so that the client's next "
        + "request is refused with 16 and re-sent. Each captured packet of the re-sending side is then opened with the key "
        + "(which the proxy never has) and its outer (msg_id, seq_no) noted. The attack worked when two different ciphertexts "
        + "carry the same header. A message re-sent inside a new container keeps its own msg_id there, which is allowed: the "
        + "outer header is new. The browser client's re-sends are checked by the browser test suite through the same proxy.")
{
    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        await ServerResendAsync(lab, result, "the server, after msg_resend_req", async (probe, requestId, c) =>
        {
            await probe.Transport.SendAsync(probe.Seal(Probe.Call("msg_resend_req", (object)new[] { requestId }), out _), c);
            await LabSession.CollectAsync(probe, TimeSpan.FromMilliseconds(500), c);
        }, cancel);
        await ServerResendAsync(lab, result, "the server, on a new connection", async (probe, _, c) =>
        {
            await probe.ReconnectAsync(c);
            await probe.Transport.SendAsync(probe.Seal(Probe.Ping(7), out EnvelopeHeader _), c);
            await LabSession.CollectAsync(probe, TimeSpan.FromMilliseconds(500), c);
        }, cancel);

        if (await lab.Server.HasLabClockAsync(cancel))
        {
            await ClientResendAsync(lab, result, cancel);
        }
        else
        {
            result.Add("the C# client library, after bad_msg_notification 16", "skipped", null, "the server has no lab clock (--Testbed:LabClock=true)");
        }
    }

    // The server's rpc_result for chat.register is left unacknowledged, then `provoke` makes the server send it again.
    private static async Task ServerResendAsync(LabSession lab, ExperimentResult result, string name,
        Func<Probe, long, CancellationToken, Task> provoke, CancellationToken cancel)
    {
        await using Probe probe = await lab.OpenProbeAsync(cancel);
        int before = lab.Capture.Records.Count;
        ServerMessage answer = await LabSession.CallForAnswerAsync(probe, Probe.Call("chat.register", Encoding.UTF8.GetBytes("resender")), cancel);
        await provoke(probe, answer.MsgId, cancel);
        Judge(lab, result, name, PacketDirection.ServerToClient, lab.Capture.Records.Skip(before));
    }

    private static async Task ClientResendAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        int before = lab.Capture.Records.Count;
        IPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", lab.Proxy.Endpoint.Port, TransportFraming.Intermediate, cancel: cancel);
        await using MtProtoClient client = MtProtoClient.Resume(transport, lab.Key.Key, lab.Key.Salt);
        client.Session.MsgIds.ClockOffset = lab.Key.ClockOffset + lab.ClockAdvance;
        await client.InvokeAsync(Probe.Call("chat.getSelf"), cancel);
        await lab.AdvanceClockAsync(TimeSpan.FromSeconds(400), cancel);
        TlObject self = await client.InvokeAsync(Probe.Call("chat.getSelf"), cancel);
        Judge(lab, result, "the C# client library, after bad_msg_notification 16", PacketDirection.ClientToServer, lab.Capture.Records.Skip(before),
            $"the request was answered ({self.Combinator.Name}) after the re-send");
    }

    private static void Judge(LabSession lab, ExperimentResult result, string name, PacketDirection direction, IEnumerable<CaptureRecord> records,
        string? extra = null)
    {
        var byHeader = new Dictionary<(long MsgId, int SeqNo), HashSet<string>>();
        int opened = 0;
        foreach (CaptureRecord record in records.Where(r => r.Direction == direction && r.Payload is { Length: > 24 } && r.Event is "forwarded" or "injected"))
        {
            if (lab.OpenHeader(record.Payload!, direction) is not { } header)
            {
                continue;
            }

            opened++;
            (long, int) key = (header.MsgId, header.SeqNo);
            byHeader.TryAdd(key, []);
            byHeader[key].Add(Convert.ToHexString(record.Payload!));
        }

        var shared = byHeader.Where(h => h.Value.Count > 1).ToList();
        string evidence = $"{opened} packets opened, {byHeader.Count} distinct headers" + (extra is null ? "" : $"; {extra}");
        result.Add(name,
            shared.Count == 0 ? "every ciphertext has its own header" : $"{shared.Count} header(s) shared by two or more ciphertexts",
            shared.Count > 0,
            shared.Count == 0 ? evidence : $"{evidence}; e.g. msg_id {shared[0].Key.MsgId:x16}, seq_no {shared[0].Key.SeqNo} under {shared[0].Value.Count} ciphertexts");
        result.Data[name] = new JsonObject
        {
            ["packets_opened"] = opened,
            ["distinct_headers"] = byHeader.Count,
            ["shared_headers"] = new JsonArray([.. shared.Select(h => (JsonNode)new JsonObject
            {
                ["msg_id"] = h.Key.MsgId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                ["seq_no"] = h.Key.SeqNo,
                ["ciphertexts"] = h.Value.Count,
            })]),
        };
    }
}
