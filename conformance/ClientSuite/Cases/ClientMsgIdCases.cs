using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// The server's msg_id as the client checks it (docs/protocol.md §3.1, §3.2, §3.9): its class, its time, duplicates
/// and order; and the client's own msg_ids.
/// </summary>
internal static class ClientMsgIdCases
{
    public static IEnumerable<ClientCase> All() =>
    [
        Forged("CMI-001", "A server msg_id is 1 or 3 mod 4: an even one (the client's class) is refused.", "§3.1",
            "a forged answer under a msg_id ≡ 0 mod 4", s => new Seal { MsgId = s.NextMsgId() & ~3L }),
        Forged("CMI-002", "A server msg_id is 1 or 3 mod 4: one ≡ 2 mod 4 is refused.", "§3.1",
            "a forged answer under a msg_id ≡ 2 mod 4", s => new Seal { MsgId = (s.NextMsgId() & ~3L) | 2 }),
        Forged("CMI-003", "A server msg_id more than 300 s in the past is refused (a replay).", "§3.2",
            "a forged answer under a msg_id 400 s old", _ => new Seal { MsgId = (MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(-400)) & ~3L) | 1 }),
        Forged("CMI-004", "A server msg_id more than 30 s in the future is refused.", "§3.2",
            "a forged answer under a msg_id 60 s ahead", _ => new Seal { MsgId = (MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(60)) & ~3L) | 1 }),
        Pushes("CMI-005", RequirementLevel.Must, "A message delivered twice reaches the user once (the packet replayed as it was).", "§3.9",
            "update U, the identical packet again, then update V", async s =>
            {
                (byte[] packet, _) = s.Build(TlCodec.Testbed.Serialize(Responder.Update(1)), new Seal { Unprompted = true });
                await s.SendPacketAsync(packet);
                await s.SendPacketAsync(packet);
                await s.SendAsync(Responder.Update(2), new Seal { Unprompted = true });
            }),
        Pushes("CMI-006", RequirementLevel.Must, "A message re-sent in a new container (its msg_id and seq_no kept, as §3.9 re-sends) reaches the user once.",
            "§3.9", "update U, then U again inside a msg_container under a fresh msg_id, then update V", async s =>
            {
                byte[] update = TlCodec.Testbed.Serialize(Responder.Update(1));
                long msgId = s.NextMsgId(unprompted: true);
                int seqNo = 1001; // odd (content-related) and above what the session used; the re-send must repeat it
                await s.SendAsync(update, new Seal { MsgId = msgId, SeqNo = seqNo });
                await s.SendAsync(MessageContainer.Build([(msgId, seqNo, update)]), new Seal { Unprompted = true, ContentRelated = false });
                await s.SendAsync(Responder.Update(2), new Seal { Unprompted = true });
            }),
        Pushes("CMI-007", RequirementLevel.Should,
            "On one connection, a packet whose msg_id is below the previous one's is dropped (the reordering attack of Albrecht et al. 2022).",
            "§3.4, §7", "two updates whose msg_ids were made U then V, sent V first and U second", async s =>
            {
                long first = s.NextMsgId(unprompted: true), second = s.NextMsgId(unprompted: true);
                await s.SendAsync(Responder.Update(2), new Seal { MsgId = second });
                await s.SendAsync(Responder.Update(1), new Seal { MsgId = first });
            }, expectFirst: false),
        new("CMI-008", "msgid", RequirementLevel.Must, "The client's msg_ids are 0 mod 4, strictly increasing, and near the server's clock.", "§3.1",
            "a correct session: ping, call", "every client msg_id ≡ 0 mod 4, each above the one before, within 30 s of the server's time when it arrived",
            ClientIds)
        {
            Passes = "every message the client sent (containers opened) has msg_id ≡ 0 mod 4, the packets' msg_ids strictly increase, and each is within ±30 s of now",
        },
    ];

    private static ClientCase Forged(string id, string requirement, string reference, string sends, Func<HostileSession, Seal> seal) =>
        new(id, "msgid", RequirementLevel.Must, requirement, reference, sends + ", 300 ms before the correct answer",
            "the forged message is dropped: not delivered, not acknowledged; the correct answer after it is delivered",
            run => Smuggling.RunAsync(run, Smuggling.Sealed(seal)))
        {
            Passes = "the shim delivered rpc_result NL and never XX, and no msgs_ack of the client names the forged msg_id",
        };

    /// <summary>
    /// After the client's first ping is answered, <paramref name="push"/> sends updates dated 1 (U) and 2 (V). The
    /// verdict counts the updates the shim delivered: V exactly once, and U once (<paramref name="expectFirst"/>) or never.
    /// </summary>
    private static ClientCase Pushes(string id, RequirementLevel level, string requirement, string reference, string sends,
        Func<HostileSession, Task> push, bool expectFirst = true) =>
        new(id, "msgid", level, requirement, reference, sends + ", after the first pong",
            expectFirst ? "update U delivered once, V once" : "update V delivered once, U never", async run =>
            {
                int pings = 0;
                var script = new HostileScript
                {
                    OnMessage = async (message, session) =>
                    {
                        if (message.Object?.Combinator.Name is not ("ping" or "ping_delay_disconnect") || Interlocked.Increment(ref pings) > 1)
                        {
                            return false;
                        }

                        await Responder.AnswerAsync(message, session);
                        await push(session);
                        return true;
                    },
                };
                ClientObservation o = await run.RunAsync("handshake,ping:1,idle:2", script);
                int u = o.All("update").Count(e => e.Text("date") == "1"), v = o.All("update").Count(e => e.Text("date") == "2");
                if (u + v == 0)
                {
                    return o.HasSession
                        ? CaseOutcome.NotApplicable($"the shim reported no update at all (its library hands none to its user); {o.Summary()}")
                        : CaseOutcome.NotReached($"no session; {o.Summary()}");
                }

                return CaseOutcome.Check(v == 1 && u == (expectFirst ? 1 : 0), $"update U delivered {u} time(s), V {v}; {o.Summary()}");
            })
        {
            Passes = expectFirst ? "the shim reported update date 1 exactly once and date 2 exactly once (no update at all: not applicable)"
                : "the shim reported update date 2 exactly once and date 1 never (no update at all: not applicable)",
        };

    private static async Task<CaseOutcome> ClientIds(ClientCaseRun run)
    {
        ClientObservation o = await run.RunAsync("handshake,ping:2,rpc");
        var packets = o.Log.Packets;
        if (packets.Count == 0)
        {
            return CaseOutcome.NotReached($"no encrypted packet; {o.Summary()}");
        }

        string? wrongClass = o.Log.Messages.Select(m => m.Message).FirstOrDefault(m => (m.MsgId & 3) != 0) is { } w ? $"{w.MsgId:x16} ({w.Name})" : null;
        bool increasing = packets.Zip(packets.Skip(1)).All(pair => pair.Second.Header.MsgId > pair.First.Header.MsgId);
        double worstSkew = packets.Max(p => Math.Abs((MsgId.ToTime(p.Header.MsgId) - p.Arrived).TotalSeconds));
        return CaseOutcome.Check(wrongClass is null && increasing && worstSkew <= 30,
            $"{(wrongClass is null ? "every msg_id ≡ 0 mod 4" : $"msg_id {wrongClass} is not ≡ 0 mod 4")}; "
            + $"{(increasing ? "packet msg_ids increase" : "packet msg_ids do not increase")}; largest clock skew {worstSkew:F1} s; {o.Summary()}");
    }
}
