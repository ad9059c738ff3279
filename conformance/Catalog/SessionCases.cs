using Testbed.Conformance.Running;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Catalog.RequirementLevel;

namespace Testbed.Conformance.Catalog;

/// <summary>seq_no, salts and sessions (docs/protocol.md §3.3, §3.5, §3.7).</summary>
internal static class SessionCases
{
    private static readonly long[] OneId = [1];

    public static IEnumerable<ConformanceCase> All() =>
    [
        SeqNo("SEQ-001", "A content-related message with an even seq_no is refused with bad_msg_notification 35.", "a ping with seq_no + 1",
            35, (probe, next) => (next with { SeqNo = next.SeqNo + 1 }, Probe.Ping(1))),
        SeqNo("SEQ-002", "A message that is not content-related (msgs_ack) with an odd seq_no is refused with bad_msg_notification 34.",
            "msgs_ack with an odd seq_no", 34, (probe, next) => (next with { SeqNo = next.SeqNo + 1 }, Probe.Call("msgs_ack", OneId))),
        SeqNo("SEQ-003", "A content-related message whose seq_no repeats the previous one is refused with bad_msg_notification 32.",
            "a ping with the seq_no of the previous ping", 32, (probe, next) => (next with { SeqNo = next.SeqNo - 2 }, Probe.Ping(3))),
        new("SEQ-005", "seqno", Must,
            "A late message whose seq_no is above its successor's is refused: 33, or 16/20 on a server with strict order, which refuses it earlier.",
            "§3.3, §3.7", "pings A and C, then B (A < B < C by msg_id) with a seq_no above C's", "bad_msg_notification 33, 16 or 20", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                await probe.SendAsync(Probe.Ping(1), c.Cancel);
                EnvelopeHeader held = probe.Session.NextHeader(true);
                byte[] later = probe.Seal(Probe.Ping(3), out EnvelopeHeader laterHeader);
                await probe.ExchangeAsync(later, c.Cancel);
                Reply reply = await probe.SendAsync(held with { SeqNo = laterHeader.SeqNo + 2 }, Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode is 33 or 16 or 20 && !reply.Has("pong"), $"answer: {reply}");
            }),
        new("SES-001", "session", Must, "A wrong server salt gets bad_server_salt (48) carrying a salt that the next message may use.", "§3.5, §3.6",
            "a ping under a wrong salt, then again under the salt given", "bad_server_salt, then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                probe.Session.Salt ^= 0x5a5a5a5a;
                Reply refused = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                if (refused.Find("bad_server_salt") is not { } bad)
                {
                    return CaseOutcome.Fail($"answer to the wrong salt: {refused}");
                }

                probe.Session.Salt = bad.Get<long>("new_server_salt");
                Reply retried = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(bad.Get<int>("error_code") == 48 && retried.Has("pong"), $"wrong salt: {refused}; with the salt given: {retried}");
            }),
        new("SES-002", "session", Must, "The first message of a new session is answered together with new_session_created naming it.", "§3.5",
            "a ping as a session's first message", "new_session_created(first_msg_id = the ping's msg_id) and pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(1), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? created = reply.Find("new_session_created");
                return CaseOutcome.Check(created?.Get<long>("first_msg_id") == header.MsgId && reply.Has("pong"), $"answer: {reply}");
            }),
        new("SES-003", "session", Must,
            "Sessions of one auth key are kept apart: a second session_id is a new session (new_session_created) with its own replay window and seq_nos.",
            "§3.5", "a warm session, then a new session_id on the same key and connection", "new_session_created for the second session", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                var second = probe.Session.NewSession();
                byte[] data = probe.Serialize(Probe.Ping(2));
                Reply reply = await probe.ExchangeAsync(second.Encrypt(data, contentRelated: true).Wire, c.Cancel);
                bool ok = reply.Header?.SessionId == second.SessionId && reply.Has("new_session_created");
                return CaseOutcome.Check(ok, $"answer to the second session: {reply} (session_id {(reply.Header?.SessionId == second.SessionId ? "ours" : "not ours")})");
            }),
        new("SES-004", "session", Should, "get_future_salts returns the requested number of salts, the first valid now.", "§3.5, §8",
            "get_future_salts(3)", "future_salts with 3 salts, the first covering the server's now", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Call("get_future_salts", 3), c.Cancel);
                if (reply.Find("future_salts") is not { } salts)
                {
                    return CaseOutcome.Fail($"answer: {reply}");
                }

                TlObject[] list = salts.Get<object?[]>("salts").Cast<TlObject>().ToArray();
                int now = salts.Get<int>("now");
                bool ok = list.Length == 3 && list[0].Get<int>("valid_since") <= now && now < list[0].Get<int>("valid_until");
                return CaseOutcome.Check(ok, $"{list.Length} salts; now {now}; first valid {list.FirstOrDefault()?.Get<int>("valid_since")}..{list.FirstOrDefault()?.Get<int>("valid_until")}");
            }),
        new("SES-005", "session", Should, "destroy_session on another session of the same key answers destroy_session_ok, and on an unknown one destroy_session_none.",
            "§8", "two sessions; destroy_session(the other), then destroy_session(a random id)", "destroy_session_ok, then destroy_session_none", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                await using Probe other = await c.WarmSessionAsync();
                Reply first = await probe.SendAsync(Probe.Call("destroy_session", other.Session.SessionId), c.Cancel);
                Reply second = await probe.SendAsync(Probe.Call("destroy_session", 0x1234567L), c.Cancel);
                return CaseOutcome.Check(first.Result() == "destroy_session_ok" && second.Result() == "destroy_session_none",
                    $"other session: {first}; unknown session: {second}");
            }),
    ];

    private static ConformanceCase SeqNo(string id, string requirement, string sends, int code,
        Func<Probe, EnvelopeHeader, (EnvelopeHeader Header, TlObject Body)> build) =>
        new(id, "seqno", Must, requirement, "§3.3, §3.6", sends, $"bad_msg_notification {code}", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            bool contentRelated = code != 34;
            (EnvelopeHeader header, TlObject body) = build(probe, probe.Session.NextHeader(contentRelated));
            Reply reply = await probe.SendAsync(header, body, c.Cancel);
            return CaseOutcome.Check(reply.BadMsgCode == code, $"answer: {reply}");
        });
}
