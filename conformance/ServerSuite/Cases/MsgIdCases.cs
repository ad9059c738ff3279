using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
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
            "a ping whose msg_id ends in binary 01", "bad_msg_notification 18 about that msg_id, and no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader header = probe.Session.NextHeader(true);
                header = header with { MsgId = header.MsgId | 1 };
                Reply reply = await probe.SendAsync(header, Probe.Ping(3), c.Cancel);
                return CaseOutcome.Check(Answers.Refusal(reply, header.MsgId, 18), $"answer: {reply}");
            })
        {
            Passes = "the next packet after the ping whose msg_id ends in 01 holds a bad_msg_notification whose bad_msg_id is that "
                + "msg_id and whose error_code is 18, and no pong. Another code, a notification about another msg_id, a pong, a "
                + "transport error, silence or a closed connection fails; -429: not applicable.",
        },
        new("MID-004", Category, Must, "A message received again (the same packet) is never executed twice.", "§3.4, §3.7",
            "a ping, then the identical packet again", "no second, newly made pong (silence, msg_detailed_info, or the first pong re-sent under its own msg_id), and the session still answers",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(4), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                return await NotExecutedAgainAsync(probe, 4, first, again, c.Cancel);
            })
        {
            Passes = NotExecutedAgainPasses("the ping", "the identical packet sent again"),
        },
        new("MID-005", Category, Must, "An older message replayed after a newer one is never executed twice (the replay window keeps more than one id).",
            "§3.4", "ping A, ping B, then A's packet again", "no newly made pong for A, and the session still answers", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(51), out _);
                Reply first = await probe.ExchangeAsync(a, c.Cancel);
                Reply between = await probe.SendAsync(Probe.Ping(52), c.Cancel);
                if (!Answers.Pong(between, 52))
                {
                    return CaseOutcome.Fail($"ping B was not answered with its pong ({between}): A was never older than a processed message");
                }

                Reply again = await probe.ExchangeAsync(a, c.Cancel);
                return await NotExecutedAgainAsync(probe, 51, first, again, c.Cancel);
            })
        {
            Passes = NotExecutedAgainPasses("ping A", "A's packet sent again after ping B got its pong (no pong for B fails)"),
        },
        new("MID-006", Category, Must,
            "Strict order: a message whose msg_id is below one already processed in the session is not processed (the fix for the 2022 reordering attack).",
            "§3.4, §3.7, §7", "pings A, C, then the held-back B (A < B < C)", "A and C answered with pong; B refused: bad_msg_notification 16 or 20 about B, no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(61), out _);
                byte[] b = probe.Seal(Probe.Ping(62), out EnvelopeHeader bHeader);
                byte[] later = probe.Seal(Probe.Ping(63), out _);
                Reply first = await probe.ExchangeAsync(a, c.Cancel);
                Reply third = await probe.ExchangeAsync(later, c.Cancel);
                if (!Answers.Pong(first, 61) || !Answers.Pong(third, 63))
                {
                    return CaseOutcome.Fail($"A or C was not answered with its pong (A: {first}; C: {third}): nothing above B was processed");
                }

                return await HeldBackRefusedAsync(probe, b, bHeader.MsgId, $"A: {first}; C: {third}", c.Cancel);
            })
        {
            Passes = "A and C are each answered with their pong, and then the next packet after B holds a bad_msg_notification about "
                + "B's msg_id with error_code 16 or 20, and no pong. Another code, a pong for B, a notification about another msg_id, a "
                + "transport error, silence or a closed connection fails, as does A or C left without its pong; -429: not applicable.",
        },
        new("MID-007", Category, Must, "A msg_id below every id the session remembers is refused (bad_msg_notification 20 or 16).", "§3.4",
            "a ping whose msg_id was made before the session's first message", "bad_msg_notification 20 or 16 about that msg_id, no pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                EnvelopeHeader early = probe.Session.NextHeader(true);
                await probe.WarmAsync(c.Cancel);
                Reply reply = await probe.SendAsync(early, Probe.Ping(7), c.Cancel);
                return CaseOutcome.Check(Answers.Refusal(reply, early.MsgId, 20, 16), $"answer: {reply}");
            })
        {
            Passes = "the next packet after the ping sent under a msg_id made before the session's first message holds a "
                + "bad_msg_notification about that msg_id with error_code 20 or 16, and no pong. Another code, a pong, a transport "
                + "error, silence or a closed connection fails; -429: not applicable.",
        },
        new("MID-008", "msgid", Must, "A message replayed on a new connection is not executed again: replay protection is per session, not per connection.",
            "§3.4", "a ping, then its packet again over a new connection", "no newly made pong, and the session still answers on the new connection", async c =>
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
                return await NotExecutedAgainAsync(probe, 81, first, again, c.Cancel);
            })
        {
            Passes = NotExecutedAgainPasses("the ping", "the identical packet sent again on a new connection") + " Over HTTP: not applicable.",
        },
        Accepted("MID-009", "250 s in the past", -250),
        Accepted("MID-010", "20 s in the future", 20),
        new("MID-011", Category, Must,
            "A message of a destroyed session, replayed into a new session of the same session_id, is not executed again: destroy_session opens no replay path.",
            "§3.4, §8", "on a key made for the case: a ping in session A, destroy_session(A) from session B, then the ping's packet again",
            "no newly made pong, and session A still answers", async c =>
            {
                // A key of its own: destroying a session raises the floor of the key's new sessions (§3.4), which would
                // refuse, with 20, sessions of the run's shared key that other cases open beside this one.
                SharedKey key = await c.OwnKeyAsync();
                await using Probe probe = await (await Probe.OpenOnKeyAsync(c.Target, key, c.Cancel)).WarmAsync(c.Cancel);
                await using Probe other = await (await Probe.OpenOnKeyAsync(c.Target, key, c.Cancel)).WarmAsync(c.Cancel);
                byte[] wire = probe.Seal(Probe.Ping(111), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                Reply destroyed = await other.SendAsync(Probe.Call("destroy_session", probe.Session.SessionId), c.Cancel);
                if (destroyed.Result() != "destroy_session_ok")
                {
                    return CaseOutcome.NotApplicable($"destroy_session(A) was answered {destroyed}, not destroy_session_ok: nothing was destroyed (SES-005 judges that)");
                }

                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                return await NotExecutedAgainAsync(probe, 111, first, again, c.Cancel);
            })
        {
            Passes = NotExecutedAgainPasses("the ping in session A", "its identical packet sent again after session B's destroy_session(A) was "
                + "answered destroy_session_ok (the reference server answers it with bad_msg_notification 20: from before the session's "
                + "history was forgotten)") + " Another answer to destroy_session: not applicable (SES-005 judges it).",
        },
        RepeatedRequest("MID-012", inContainer: false),
        RepeatedRequest("MID-013", inContainer: true),
        new("MID-014", Category, Must,
            "Strict order counts a processed container's own msg_id: a message whose msg_id is below the container's is not processed, even above every inner id.",
            "§3.4, §3.7, §3.8", "a container of pings A1, A2 (msg_id C), then the held-back ping B (A1 < A2 < B < C)",
            "both pongs for the container; B refused: bad_msg_notification 16 or 20 about B, no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader[] inner = [probe.Session.NextHeader(true), probe.Session.NextHeader(true)];
                byte[] b = probe.Seal(Probe.Ping(143), out EnvelopeHeader bHeader);
                EnvelopeHeader container = probe.Session.NextHeader(contentRelated: false);
                byte[] data = MessageContainer.Build([(inner[0].MsgId, inner[0].SeqNo, probe.Serialize(Probe.Ping(141))),
                    (inner[1].MsgId, inner[1].SeqNo, probe.Serialize(Probe.Ping(142)))]);
                Reply first = await probe.ExchangeAsync(probe.Session.Encrypt(container, data, PaddingPolicy.MinimalLength(data.Length)), c.Cancel);
                if (!Answers.Pong(first, 141) || !Answers.Pong(first, 142))
                {
                    return CaseOutcome.Fail($"the container was not answered with both pongs ({first}): it was never processed");
                }

                return await HeldBackRefusedAsync(probe, b, bHeader.MsgId, $"the container: {first}", c.Cancel);
            })
        {
            Passes = "the container (its own msg_id made after B's) is answered with the pongs of A1 and A2 in the packet that follows "
                + "it, and then the next packet after B holds a bad_msg_notification about B's msg_id with error_code 16 or 20, and no "
                + "pong. A pong for B (only the inner ids were counted), another code, a notification about another msg_id, a transport "
                + "error, silence or a closed connection fails, as does the container without both pongs; -429: not applicable.",
        },
        new("MID-015", "msgid", Must,
            "A message replayed to another node of the same cluster is not executed again: replay protection spans the nodes that serve a session.",
            "§3.4; docs/cluster.md", "with --target given once per node: a ping to one node, then its packet again to another node",
            "no newly made pong, and the session still answers on the other node", async c =>
            {
                if (c.Target.Cluster.Count < 2 || c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable(c.Target.Transport == "http" ? "HTTP has no connections to move between nodes"
                        : "one target: give each node of a cluster with --target (repeated)");
                }

                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(151), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                Uri other = c.Target.Cluster.First(address => address != c.Target.Address);
                await probe.MoveToAsync(c.Target with { Address = other }, c.Cancel);
                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                return await NotExecutedAgainAsync(probe, 151, first, again, c.Cancel);
            })
        {
            Passes = NotExecutedAgainPasses("the ping", "the identical packet sent again on a new connection to another node of the cluster")
                + " One target, or HTTP: not applicable.",
            NeedsCluster = true,
        },
    ];

    private static ConformanceCase Accepted(string id, string when, int seconds) =>
        new(id, "msgid", Should, $"A msg_id {when} is inside the window and accepted: the server is not stricter than -300 s / +30 s.", "§3.2",
            $"the first ping of a new session{(seconds < 0 ? " on a key made for the case" : "")} with a msg_id {Math.Abs(seconds)} s "
            + $"{(seconds < 0 ? "old" : "ahead")}", "the pong of that ping", async c =>
            {
                // An old msg_id goes on a key of its own: the run's shared key has many sessions, and a server that drops
                // the least recently used ones refuses ids from before the highest one they processed with 20
                // (docs/protocol.md §3.4), which says nothing about the time window. A key made now has no history.
                await using Probe probe = seconds < 0 ? await c.OwnKeySessionAsync() : await c.NewSessionAsync();
                DateTimeOffset serverNow = DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset;
                EnvelopeHeader header = probe.Session.NextHeader(true) with { MsgId = MsgId.FromTime(serverNow.AddSeconds(seconds)) & ~3L };
                Reply reply = await probe.SendAsync(header, Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(Answers.Pong(reply, 1), $"answer: {reply}");
            })
        {
            Passes = $"the first ping of a new session{(seconds < 0 ? ", on a key the case creates," : "")} sent under a msg_id "
                + $"{Math.Abs(seconds)} s {(seconds < 0 ? "behind" : "ahead of")} the server's clock is answered with a pong carrying its "
                + "ping_id. Any bad_msg_notification (20 included: a key made after the server's start has no history to lose, §3.4), "
                + "bad_server_salt, transport error, silence or a closed connection fails; -429: not applicable.",
        };

    private static ConformanceCase TimeShifted(string id, string when, int seconds, int code) =>
        new(id, Category, Must, $"A msg_id {when} is refused with bad_msg_notification {code}.", "§3.2, §3.6",
            $"a ping whose msg_id is {Math.Abs(seconds)} s {(seconds < 0 ? "old" : "ahead")}", $"bad_msg_notification {code} about that msg_id, no pong",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                DateTimeOffset serverNow = DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset;
                EnvelopeHeader header = probe.Session.NextHeader(true) with { MsgId = MsgId.FromTime(serverNow.AddSeconds(seconds)) & ~3L };
                Reply reply = await probe.SendAsync(header, Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(Answers.Refusal(reply, header.MsgId, code), $"answer: {reply}");
            })
        {
            Passes = $"the next packet after the ping whose msg_id is {Math.Abs(seconds)} s {(seconds < 0 ? "behind" : "ahead of")} the "
                + $"server's clock holds a bad_msg_notification about that msg_id with error_code {code}, and no pong. Another code (20 "
                + "included), a pong, a transport error, silence or a closed connection fails; -429: not applicable.",
        };

    /// <summary>
    /// Strict order (§3.7 step 5): the held-back message, sent after messages above it were processed, is refused with
    /// 16 (or 20) and not processed.
    /// </summary>
    private static async Task<CaseOutcome> HeldBackRefusedAsync(Probe probe, byte[] heldBack, long heldBackMsgId, string processed, CancellationToken cancel)
    {
        Reply reply = await probe.ExchangeAsync(heldBack, cancel);
        return CaseOutcome.Check(Answers.Refusal(reply, heldBackMsgId, 16, 20), $"{processed}; the held-back message: {reply}");
    }

    /// <summary>
    /// A request received again is answered again, never executed again (§3.9): an RPC call — destroy_session of a
    /// session that does not exist, whose answer is an rpc_result kept until acknowledged and whose execution changes
    /// nothing — sent alone or as the one message of a msg_container, then its identical packet again, once while the
    /// rpc_result waits for its acknowledgement and once after it. Should, not Must: the MTProto description lets a server
    /// name any answer with msg_detailed_info instead of re-sending it; §3.9 states which this server does when.
    /// </summary>
    private static ConformanceCase RepeatedRequest(string id, bool inContainer)
    {
        string call = inContainer ? "an RPC call inside a msg_container" : "an RPC call";
        string packet = inContainer ? "the container's identical packet" : "its identical packet";
        long pingId = inContainer ? 131 : 121;
        return new(id, Category, Should,
            $"{(inContainer ? "A replayed msg_container's RPC call" : "An RPC call received again")} is answered again, never executed again: its "
            + "rpc_result re-sent under its own msg_id while unacknowledged, named by msg_detailed_info once acknowledged.",
            inContainer ? "§3.4, §3.8, §3.9" : "§3.4, §3.9",
            $"{call} (destroy_session of an unknown session), {packet} again; msgs_ack of the rpc_result with a ping, {packet} again",
            "the same rpc_result again, same msg_id; after the acknowledgement msg_detailed_info naming it (answer_msg_id, bytes)", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                TlObject function = Probe.Call("destroy_session", BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
                (byte[] wire, long callId) = inContainer ? SealedInContainer(probe, function) : (probe.Seal(function, out EnvelopeHeader header), header.MsgId);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                if (ResultsFor(first, callId).FirstOrDefault() is not { } answer)
                {
                    return CaseOutcome.Fail($"the call was not answered with an rpc_result ({first}): there was nothing to answer again");
                }

                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                long[] resent = [.. ResultsFor(again, callId).Select(m => m.MsgId)];
                (byte[] ack, _, _) = probe.Session.EncryptContainer([(probe.Serialize(Probe.Call("msgs_ack", new[] { answer.MsgId })), false),
                    (probe.Serialize(Probe.Ping(pingId)), true)]);
                Reply acked = await probe.ExchangeAsync(ack, c.Cancel);
                Reply named = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? info = named.Messages.FirstOrDefault(m => m.Body.Combinator.Name == "msg_detailed_info" && m.Body.Get<long>("msg_id") == callId)?.Body;
                string evidence = $"answer: {first}; to the repeat: {again}; to the acknowledgement and a ping: {acked}; to the repeat after it: {named}";
                if (resent.Length == 0 || resent.Any(msgId => msgId != answer.MsgId))
                {
                    return CaseOutcome.Fail(evidence + (resent.Length == 0 ? " — the unacknowledged rpc_result was not sent again"
                        : " — an rpc_result under a new msg_id: the call was executed again"));
                }

                if (!Answers.Pong(acked, pingId))
                {
                    return CaseOutcome.Fail(evidence + " — the container of msgs_ack and a ping was not answered with the pong");
                }

                List<ServerMessage> after = ResultsFor(named, callId);
                return CaseOutcome.Check(info is not null && info.Get<long>("answer_msg_id") == answer.MsgId
                    && info.Get<int>("bytes") == probe.Serialize(answer.Body).Length && after.Count == 0,
                    evidence + (after.Any(m => m.MsgId != answer.MsgId) ? " — an rpc_result under a new msg_id: the call was executed again" : "")
                    + (info is null ? " — no msg_detailed_info about the call" : $" — msg_detailed_info names {info.Get<long>("answer_msg_id")} "
                        + $"({info.Get<int>("bytes")} bytes); the rpc_result was {answer.MsgId} ({probe.Serialize(answer.Body).Length} bytes)"));
            })
        {
            Passes = $"{call} is answered with an rpc_result whose req_msg_id is the call's msg_id; {packet}, sent again before any "
                + "acknowledgement, is answered (the next packet) with that rpc_result under its own msg_id and no rpc_result for the "
                + "call under another msg_id; a container of msgs_ack(that msg_id) and a ping is answered with the pong; and "
                + $"{packet}, sent a third time, is answered with msg_detailed_info whose msg_id is the call's, answer_msg_id the "
                + "rpc_result's msg_id and bytes the length of its serialized body, and no rpc_result for the call. No rpc_result at "
                + "first, silence or msg_detailed_info before the acknowledgement, an rpc_result under a new msg_id (executed again), "
                + "the rpc_result re-sent after the acknowledgement, no pong, a transport error, silence or a closed connection fails; "
                + "-429: not applicable.",
        };
    }

    /// <summary>The wire bytes of a msg_container whose one message is <paramref name="function"/>, and that message's msg_id.</summary>
    private static (byte[] Wire, long CallId) SealedInContainer(Probe probe, TlObject function)
    {
        (byte[] wire, _, EnvelopeHeader[] inner) = probe.Session.EncryptContainer([(probe.Serialize(function), true)]);
        return (wire, inner[0].MsgId);
    }

    /// <summary>The rpc_results in the reply that answer the request <paramref name="requestMsgId"/>.</summary>
    private static List<ServerMessage> ResultsFor(Reply reply, long requestMsgId) =>
        [.. reply.Messages.Where(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == requestMsgId)];

    private static string NotExecutedAgainPasses(string original, string replay) =>
        $"{original} is answered with its pong; {replay} gets no pong for that ping_id under a msg_id other than the "
        + "first pong's (silence, msg_detailed_info or the first pong re-sent pass); and a new ping in the same session is then "
        + "answered with its pong within the next 8 packets, none of which carries a newly made pong for the replayed ping either. The original left without its "
        + "pong, a new pong, or a dead session after the replay (silence, closed connection, transport error) fails; -429: not applicable.";

    /// <summary>
    /// The replayed ping was executed the first time (its pong came), the answer to the replay shows no new execution
    /// (no pong, or only the first pong again under its own msg_id inside a new container, or msg_detailed_info), and the
    /// session is alive afterwards: a new ping gets its pong (the packets before it are read too), which also catches a new
    /// pong for the replay sent late.
    /// </summary>
    private static async Task<CaseOutcome> NotExecutedAgainAsync(Probe probe, long pingId, Reply first, Reply again, CancellationToken cancel)
    {
        if (!Answers.Pong(first, pingId))
        {
            return CaseOutcome.Fail($"the original ping was not answered with its pong ({first}): there was nothing to replay");
        }

        long[] firstPongs = [.. PongsOf(first, pingId)];
        (bool alive, Reply[] after) = await Answers.PingAsync(probe, pingId + 1000, cancel);
        bool newPong = after.Prepend(again).SelectMany(reply => PongsOf(reply, pingId)).Any(id => !firstPongs.Contains(id));
        return CaseOutcome.Check(!newPong && alive,
            $"first answer: {first}; answer to the replay: {again}; then a new ping: {string.Join(", then ", after.Select(r => r.ToString()))}"
            + (newPong ? " — a pong with a new msg_id: the replay was executed again" : "")
            + (alive ? "" : " — the session did not answer a new ping after the replay"));
    }

    private static IEnumerable<long> PongsOf(Reply reply, long pingId) =>
        reply.Messages.Where(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId).Select(m => m.MsgId);
}

/// <summary>Readings of answers that name the message they answer, for the envelope, msgid, seqno and service cases.</summary>
internal static class Answers
{
    /// <summary>
    /// The readable rpc_error answering <paramref name="requestMsgId"/>: rpc_result naming it and carrying rpc_error with
    /// a code of at least 400 and a message; null when the reply has none.
    /// </summary>
    public static TlObject? RpcError(Reply reply, long requestMsgId) => reply.Messages
        .Where(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == requestMsgId)
        .Select(m => m.Body.Get<TlObject>("result"))
        .FirstOrDefault(r => r.Combinator.Name == "rpc_error" && r.Get<int>("error_code") >= 400 && r.Get<byte[]>("error_message").Length > 0);

    /// <summary>The code and message of every rpc_error in the reply, for evidence (" (400 INPUT_METHOD_INVALID)"), or "".</summary>
    public static string DescribeError(Reply reply) => string.Concat(reply.Messages
        .Where(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<TlObject>("result").Combinator.Name == "rpc_error")
        .Select(m => m.Body.Get<TlObject>("result"))
        .Select(e => $" ({e.Get<int>("error_code")} {System.Text.Encoding.UTF8.GetString(e.Get<byte[]>("error_message"))})"));

    /// <summary>Whether the reply carries a pong for this ping_id.</summary>
    public static bool Pong(Reply reply, long pingId) =>
        reply.Messages.Any(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId);

    /// <summary>
    /// Sends a ping in the probe's session and reads packets until its pong comes (at most 8, each within
    /// <see cref="Probe.AnswerTimeout"/>; a server may send what it owes the session, such as re-sent messages, first):
    /// whether the session answered, and every packet read.
    /// </summary>
    public static async Task<(bool Alive, Reply[] Packets)> PingAsync(Probe probe, long pingId, CancellationToken cancel)
    {
        var packets = new List<Reply> { await probe.SendAsync(Probe.Ping(pingId), cancel) };
        while (!Pong(packets[^1], pingId) && packets.Count < 8 && packets[^1] is { TimedOut: false, Closed: false, TransportError: 0 })
        {
            packets.Add(await probe.NextAsync(Probe.AnswerTimeout, cancel));
        }

        return (Pong(packets[^1], pingId), [.. packets]);
    }

    /// <summary>
    /// Whether the reply refuses the message <paramref name="msgId"/>: a bad_msg_notification about that msg_id with one
    /// of <paramref name="codes"/>, and no pong (a refused message is not processed).
    /// </summary>
    public static bool Refusal(Reply reply, long msgId, params int[] codes) =>
        !reply.Has("pong") && reply.Messages.Any(m => m.Body.Combinator.Name == "bad_msg_notification"
            && m.Body.Get<long>("bad_msg_id") == msgId && codes.Contains(m.Body.Get<int>("error_code")));
}
