using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>msg_id, time and replay (docs/protocol.md §3.1–§3.4, §3.7).</summary>
internal static class MsgIdCases
{
    private const string Category = "msgid";

    public static IEnumerable<ConformanceCase> All() =>
    [
        TimeShifted("MID-001", "more than 300 s in the past", -301, 16),
        TimeShifted("MID-002", "more than 30 s in the future", 31, 17),
        new("MID-003", Category, Must, "A client msg_id whose two low bits are not 00 is refused with bad_msg_notification 18.", "§3.1, §3.6",
            "a ping whose msg_id ends in binary 01", "bad_msg_notification 18", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader header = probe.Session.NextHeader(true);
                Reply reply = await probe.SendAsync(header with { MsgId = header.MsgId | 1 }, Probe.Ping(3), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode == 18, $"answer: {reply}");
            }),
        new("MID-004", Category, Must, "A message received again (the same packet) is never executed twice.", "§3.4, §3.7",
            "a ping, then the identical packet again", "no second, newly made pong: silence, msg_detailed_info, or the first pong re-sent under its own msg_id",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(4), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                return NotExecutedAgain(first, again);
            }),
        new("MID-005", Category, Must, "An older message replayed after a newer one is never executed twice (the replay window keeps more than one id).",
            "§3.4", "ping A, ping B, then A's packet again", "no newly made pong for A", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(51), out _);
                Reply first = await probe.ExchangeAsync(a, c.Cancel);
                await probe.SendAsync(Probe.Ping(52), c.Cancel);
                Reply again = await probe.ExchangeAsync(a, c.Cancel);
                return NotExecutedAgain(first, again);
            }),
        new("MID-006", Category, Must,
            "Strict order: a message whose msg_id is below one already processed in the session is not processed (the fix for the 2022 reordering attack).",
            "§3.4, §3.7, §7", "pings A, C, then the held-back B (A < B < C)", "B refused: bad_msg_notification 16 or 20", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(61), out _);
                byte[] b = probe.Seal(Probe.Ping(62), out _);
                byte[] later = probe.Seal(Probe.Ping(63), out _);
                await probe.ExchangeAsync(a, c.Cancel);
                await probe.ExchangeAsync(later, c.Cancel);
                Reply reply = await probe.ExchangeAsync(b, c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode is 16 or 20 && !reply.Has("pong"), $"answer to the held-back message: {reply}");
            }),
        new("MID-007", Category, Must, "A msg_id below every id the session remembers is refused (bad_msg_notification 20 or 16).", "§3.4",
            "a ping whose msg_id was made before the session's first message", "bad_msg_notification 20 or 16", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                EnvelopeHeader early = probe.Session.NextHeader(true);
                await probe.WarmAsync(c.Cancel);
                Reply reply = await probe.SendAsync(early, Probe.Ping(7), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode is 20 or 16 && !reply.Has("pong"), $"answer: {reply}");
            }),
        new("MID-008", "msgid", Must, "A message replayed on a new connection is not executed again: replay protection is per session, not per connection.",
            "§3.4", "a ping, then its packet again over a new connection", "no newly made pong", async c =>
            {
                if (c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable("HTTP has no connections to change");
                }

                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(81), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                await probe.ReconnectAsync(c.Cancel);
                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                long[] firstPongs = [.. first.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.MsgId)];
                bool newPong = again.Messages.Any(m => m.Body.Combinator.Name == "pong" && !firstPongs.Contains(m.MsgId));
                return CaseOutcome.Check(!newPong, $"first: {first}; replay on a new connection: {again}");
            }),
        Accepted("MID-009", "250 s in the past", -250),
        Accepted("MID-010", "20 s in the future", 20),
    ];

    private static ConformanceCase Accepted(string id, string when, int seconds) =>
        new(id, "msgid", Should, $"A msg_id {when} is inside the window and accepted: the server is not stricter than -300 s / +30 s.", "§3.2",
            $"the first ping of a new session with a msg_id {Math.Abs(seconds)} s {(seconds < 0 ? "old" : "ahead")}", "pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                DateTimeOffset serverNow = DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset;
                EnvelopeHeader header = probe.Session.NextHeader(true) with { MsgId = MsgId.FromTime(serverNow.AddSeconds(seconds)) & ~3L };
                Reply reply = await probe.SendAsync(header, Probe.Ping(1), c.Cancel);

                // A server that started less than 300 s ago cannot know whether it processed an older msg_id before
                // it started, and may say so with 20 (docs/protocol.md §3.4): not stricter than the window, but honest.
                bool unverifiable = seconds < 0 && reply.BadMsgCode == 20;
                return CaseOutcome.Check(reply.Has("pong") || unverifiable,
                    unverifiable ? $"answer: {reply} (msg_id from before the server's start: it cannot verify it)" : $"answer: {reply}");
            });

    private static ConformanceCase TimeShifted(string id, string when, int seconds, int code) =>
        new(id, Category, Must, $"A msg_id {when} is refused with bad_msg_notification {code}.", "§3.2, §3.6",
            $"a ping whose msg_id is {Math.Abs(seconds)} s {(seconds < 0 ? "old" : "ahead")}", $"bad_msg_notification {code}", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                DateTimeOffset serverNow = DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset;
                EnvelopeHeader header = probe.Session.NextHeader(true) with { MsgId = MsgId.FromTime(serverNow.AddSeconds(seconds)) & ~3L };
                Reply reply = await probe.SendAsync(header, Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode == code && !reply.Has("pong"), $"answer: {reply}");
            });

    /// <summary>
    /// The second answer shows no new execution: no pong, or only the pong of the first answer again (same msg_id,
    /// inside a new container), or msg_detailed_info.
    /// </summary>
    private static CaseOutcome NotExecutedAgain(Reply first, Reply again)
    {
        long[] firstPongs = first.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.MsgId).ToArray();
        bool newPong = again.Messages.Any(m => m.Body.Combinator.Name == "pong" && !firstPongs.Contains(m.MsgId));
        return CaseOutcome.Check(!newPong, $"first answer: {first}; answer to the replay: {again}"
            + (newPong ? " — a pong with a new msg_id: the replay was executed again" : ""));
    }
}
