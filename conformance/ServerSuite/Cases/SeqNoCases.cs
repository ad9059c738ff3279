using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>seq_no (docs/protocol.md §3.3): content-related messages odd and increasing, the others even; every defect named by its bad_msg_notification code.</summary>
internal static class SeqNoCases
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
        new("SEQ-004", "seqno", Must, "A msgs_ack with a correct even seq_no is accepted silently: no bad_msg_notification.", "§3.3",
            "msgs_ack([a server msg_id]) then a ping", "no bad_msg_notification for the ack, then the pong of the ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply pong = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                long[] ids = [.. pong.Messages.Select(m => m.MsgId)];
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("msgs_ack", ids), out _), c.Cancel);
                Reply reply = await probe.NextAsync(TimeSpan.FromMilliseconds(c.Target.Transport == "http" ? 0 : 500), c.Cancel);
                Reply next = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                bool refused = reply.BadMsgCode is not null || next.BadMsgCode is not null;
                return CaseOutcome.Check(!refused && Answers.Pong(next, 2), $"after msgs_ack: {reply}; then a ping: {next}");
            })
        {
            Passes = "after a ping answered in the session, a msgs_ack of that answer's msg_ids under the next even seq_no gets no "
                + "bad_msg_notification or bad_server_salt (what arrives within 0.5 s over TCP and WebSocket, or the HTTP answer), and "
                + "a ping sent next is answered with a pong carrying its ping_id and no such notification. Any notification, a "
                + "transport error, or no pong afterwards (silence, a closed connection) fails; -429: not applicable.",
        },
        new("SEQ-005", "seqno", Must,
            "A late message whose seq_no is above its successor's is refused: 33, or 16/20 on a server with strict order, which refuses it earlier.",
            "§3.3, §3.7", "pings A and C, then B (A < B < C by msg_id) with a seq_no above C's",
            "A and C answered with pong; B refused: bad_msg_notification 33, 16 or 20 about B, no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply first = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                EnvelopeHeader held = probe.Session.NextHeader(true);
                byte[] later = probe.Seal(Probe.Ping(3), out EnvelopeHeader laterHeader);
                Reply third = await probe.ExchangeAsync(later, c.Cancel);
                if (!Answers.Pong(first, 1) || !Answers.Pong(third, 3))
                {
                    return CaseOutcome.Fail($"A or C was not answered with its pong (A: {first}; C: {third}): B had no processed successor");
                }

                Reply reply = await probe.SendAsync(held with { SeqNo = laterHeader.SeqNo + 2 }, Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(Answers.Refusal(reply, held.MsgId, 33, 16, 20), $"answer: {reply}");
            })
        {
            Passes = "A and C are each answered with their pong, and then the next packet after B holds a bad_msg_notification about "
                + "B's msg_id with error_code 33, 16 or 20, and no pong. Another code, a pong for B, a transport error, silence or a "
                + "closed connection fails, as does A or C left without its pong; -429: not applicable.",
        },
    ];

    private static ConformanceCase SeqNo(string id, string requirement, string sends, int code,
        Func<Probe, EnvelopeHeader, (EnvelopeHeader Header, TlObject Body)> build) =>
        new(id, "seqno", Must, requirement, "§3.3, §3.6", sends, $"bad_msg_notification {code} about that message, no pong", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            bool contentRelated = code != 34;
            (EnvelopeHeader header, TlObject body) = build(probe, probe.Session.NextHeader(contentRelated));
            Reply reply = await probe.SendAsync(header, body, c.Cancel);
            return CaseOutcome.Check(Answers.Refusal(reply, header.MsgId, code), $"answer: {reply}");
        })
        {
            Passes = $"on a warm session, the next packet after {sends} holds a bad_msg_notification whose bad_msg_id is that message's "
                + $"msg_id and whose error_code is {code}, and no pong. Another code, a notification about another msg_id, a pong, a "
                + "transport error, silence or a closed connection fails; -429: not applicable.",
        };
}
