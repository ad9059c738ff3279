using System.IO.Compression;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>Containers, acknowledgements and service messages (docs/protocol.md §3.8, §3.9, §8).</summary>
internal static class ServiceCases
{
    private const string Category = "service";
    private static readonly long[] OneId = [1];

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("SVC-001", Category, Must, "ping is answered with pong carrying the ping's msg_id and ping_id.", "§8", "ping(ping_id)", "pong(msg_id, ping_id)",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(0x1234), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? pong = reply.Find("pong");
                return CaseOutcome.Check(pong?.Get<long>("msg_id") == header.MsgId && pong.Get<long>("ping_id") == 0x1234, $"answer: {reply}");
            })
        {
            Passes = "the answer holds pong whose msg_id is the ping's msg_id and whose ping_id is 0x1234. No pong, other values, "
                + "silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-002", Category, Must, "ping_delay_disconnect is answered with pong.", "§8", "ping_delay_disconnect(ping_id, 75)", "pong", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            Reply reply = await probe.SendAsync(Probe.Call("ping_delay_disconnect", 5L, 75), c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 5, $"answer: {reply}");
        })
        {
            Passes = "the answer holds pong with ping_id 5. No pong (silence, a closed connection, an error) or another ping_id fails. "
                + "-429: not applicable.",
        },
        new("SVC-003", Category, Must, "Every message of a valid msg_container is processed.", "§3.8", "a container of two pings", "two pongs", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            (byte[] wire, _, _) = probe.Session.EncryptContainer([(probe.Serialize(Probe.Ping(31)), true), (probe.Serialize(Probe.Ping(32)), true)]);
            Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
            long[] ids = reply.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.Body.Get<long>("ping_id")).Order().ToArray();
            return CaseOutcome.Check(ids.SequenceEqual([31L, 32L]), $"answer: {reply}");
        })
        {
            Passes = "the answer to the container (the one packet that follows it) holds exactly two pongs, ping_ids 31 and 32. "
                + "One pong, a repeated one, a refusal, silence or a closed connection fails. -429: not applicable.",
        },
        BadContainer("SVC-004", "a container inside a container", (probe, a, b, container) =>
            MessageContainer.Build([(a.MsgId, a.SeqNo, probe.Serialize(Probe.Ping(1))),
                (b.MsgId, b.SeqNo, MessageContainer.Build([(a.MsgId - 4, 1, probe.Serialize(Probe.Ping(2)))]))])),
        // Equal, the boundary: a server that refuses only inner ids above the container's is caught too.
        BadContainer("SVC-005", "an inner msg_id equal to the container's (not below it)", (probe, a, b, container) =>
            MessageContainer.Build([(a.MsgId, a.SeqNo, probe.Serialize(Probe.Ping(1))), (container.MsgId, b.SeqNo, probe.Serialize(Probe.Ping(2)))])),
        BadContainer("SVC-006", "an inner bytes field that is not its body's length", (probe, a, b, container) =>
        {
            byte[] data = MessageContainer.Build([(a.MsgId, a.SeqNo, probe.Serialize(Probe.Ping(1)))]);
            data[8 + 8 + 4] += 4; // constructor, count, msg_id, seqno, then bytes
            return data;
        }),
        new("SVC-007", Category, Must, "msgs_state_req is answered with msgs_state_info, one status byte per id; a processed id has status 4 (received).",
            "§8", "msgs_state_req([a processed ping's msg_id, an id from the future])", "msgs_state_info with 2 bytes: 4 (+flags), 3", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(1), out EnvelopeHeader ping);
                await probe.ExchangeAsync(wire, c.Cancel);
                long future = probe.Session.MsgIds.Last + (1L << 32);
                Reply reply = await probe.SendAsync(Probe.Call("msgs_state_req", new[] { ping.MsgId, future }), c.Cancel);
                byte[]? info = reply.Find("msgs_state_info")?.Get<byte[]>("info");
                return CaseOutcome.Check(info is { Length: 2 } && (info[0] & 7) == 4 && (info[1] & 7) == 3,
                    $"answer: {reply}; info {(info is null ? "none" : Convert.ToHexString(info))}");
            })
        {
            Passes = "the answer holds msgs_state_info whose info has exactly 2 bytes, the first with low bits 4 (received; the flags "
                + "16, 32 and 64 may be set) and the second with low bits 3 (not received, above every id received). Another length or "
                + "status, no msgs_state_info, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-008", Category, Must, "A gzip_packed message is unpacked and processed as what it carries (and classified by it: a packed ping is content-related).",
            "§3.3", "gzip_packed(ping) with an odd seq_no", "pong", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            Reply reply = await probe.SendAsync(probe.Session.NextHeader(contentRelated: true), Probe.Call("gzip_packed", Gzip(probe.Serialize(Probe.Ping(81)))),
                c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 81, $"answer: {reply}");
        })
        {
            Passes = "the answer to gzip_packed(ping 81), sent with an odd seq_no, holds pong with ping_id 81. A refusal (34/35 "
                + "means the packed ping was classified as not content-related), no pong, silence or a closed connection fails. "
                + "-429: not applicable.",
        },
        new("SVC-009", Category, Must, "A gzip_packed that expands past the server's limit is refused, not unpacked without bound.", "§3.3",
            "gzip_packed of a valid 64 MiB msgs_ack (8 million zero ids; a 64 KiB packet), then a ping in the same session",
            "bad_msg_notification 64 naming the bomb, or transport error -404; then pong: never the msgs_ack processed (silence), a crash or a hang",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader header = probe.Session.NextHeader(contentRelated: false);
                Reply reply = await probe.SendAsync(header, Probe.Call("gzip_packed", Gzip(ExpandedAck(64 << 20))), c.Cancel);
                Reply after = await RobustnessCases.PingAfterAsync(probe, 9, c.Cancel);
                bool refused = reply.TransportError == -404 || IsInvalidContainer(reply, header);
                return CaseOutcome.Check(refused && after.Find("pong")?.Get<long>("ping_id") == 9, $"answer to the bomb: {reply}; then a ping: {after}");
            })
        {
            Passes = "the answer to the bomb is bad_msg_notification with error_code 64 and bad_msg_id = the bomb's msg_id, or "
                + "transport error -404; then a ping in the same session (on a new connection if the server closed this one) gets pong "
                + "with its ping_id. The bomb unpacks to a valid msgs_ack, so a server that unpacks it without bound processes it and "
                + "answers nothing: silence fails, as do another code, another transport error, a closed connection without the "
                + "session going on, or no pong. -429: not applicable.",
        },
        new("SVC-010", Category, Should,
            "A server message that waits for an acknowledgement is re-sent on the client's new connection under a new header: never the same msg_id and seq_no twice.",
            "§3.9, §7 (same-header re-encryption)", "an RPC call; its answer left unacknowledged; the session continued on a new connection",
            "the answer again inside a new container, or not at all; never alone under its first header", async c =>
            {
                if (c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable("over HTTP there is no connection to change");
                }

                await using Probe probe = await c.WarmSessionAsync();
                Reply first = await probe.SendAsync(Probe.Call("get_future_salts", 1), c.Cancel);
                Reply rpc = await probe.SendAsync(Probe.Call("destroy_session", 1L), c.Cancel);
                if (rpc.Header is not { } original || !rpc.Has("rpc_result"))
                {
                    return CaseOutcome.Fail($"no rpc_result for the RPC call: {rpc}");
                }

                await probe.ReconnectAsync(c.Cancel);
                Reply later = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                var packets = new List<Reply> { later };
                for (Reply next; !(next = await probe.NextAsync(TimeSpan.FromSeconds(1), c.Cancel)).TimedOut && !next.Closed;)
                {
                    packets.Add(next);
                }

                bool reused = packets.Any(p => p.Header?.MsgId == original.MsgId);
                bool alive = packets.Any(p => p.Find("pong")?.Get<long>("ping_id") == 2);
                _ = first;
                return CaseOutcome.Check(!reused && alive, $"first answer header msg_id {original.MsgId}; after reconnecting: {string.Join("; ", packets)}"
                    + (reused ? " — the same header was encrypted twice" : "") + (alive ? "" : " — no pong: the session did not go on"));
            })
        {
            Passes = "the RPC call (destroy_session) is answered with rpc_result; after the session moves to a new connection, a "
                + "ping there is answered with pong (ping_id 2) within the packets that follow, and no packet that follows (read until "
                + "1 s of silence or a close) has the rpc_result's first packet msg_id as its header msg_id. No rpc_result at first, a "
                + "header seen twice, or no pong after the move fails. Not applicable over HTTP. -429: not applicable.",
        },
        new("SVC-011", Category, Should, "http_wait holds an HTTP request open until max_wait when nothing is due, then answers empty.", "§3.9, §6",
            "http_wait(0, 0, 1000) after the session's first exchange", "an answer after about 1 s", async c =>
            {
                if (c.Target.Transport != "http")
                {
                    return CaseOutcome.NotApplicable("http_wait is an HTTP transport feature");
                }

                await using Probe probe = await c.WarmSessionAsync();
                var started = System.Diagnostics.Stopwatch.StartNew();
                Reply reply = await probe.SendAsync(Probe.Call("http_wait", 0, 0, 1000), c.Cancel);
                bool empty = reply is { TimedOut: false, Closed: false, TransportError: 0, Problem: null, Header: null, Messages.Count: 0 };
                return CaseOutcome.Check(started.Elapsed >= TimeSpan.FromSeconds(0.8) && empty,
                    $"answered after {started.Elapsed.TotalMilliseconds:F0} ms: {reply}");
            })
        {
            Passes = "over HTTP, the request carrying http_wait(max_wait 1000) is answered with an empty body (HTTP 200, nothing "
                + "in it) no sooner than 0.8 s after it was sent and within 5 s. An early answer, an answer with messages, a transport "
                + "error, a closed connection or no answer within 5 s fails. Not applicable over other transports. -429: not applicable.",
        },
        new("SVC-012", Category, Must,
            "A service function gets an rpc_result for it, not silence: rpc_drop_answer for a request the server never saw gets rpc_answer_unknown, "
            + "and a server that does not implement rpc_drop_answer answers an rpc_error.", "§8",
            "rpc_drop_answer for a request the server never saw", "rpc_result(req_msg_id = the call) carrying rpc_answer_unknown or rpc_error", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Call("rpc_drop_answer", 12345L), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? result = reply.Find("rpc_result");
                bool ok = result?.Get<long>("req_msg_id") == header.MsgId
                    && result.Get<TlObject>("result").Combinator.Name is "rpc_answer_unknown" or "rpc_error";
                return CaseOutcome.Check(ok, $"answer: {reply}");
            })
        {
            Passes = "the answer holds rpc_result whose req_msg_id is the call's msg_id and whose result is rpc_answer_unknown (§8) "
                + "or rpc_error (not implemented). rpc_answer_dropped (there was nothing to drop), an rpc_result for another request, "
                + "no rpc_result, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-013", "service", Must, "A msg_container holds at most 1024 messages: one of exactly 1024 is processed, one of 1025 is refused with "
            + "bad_msg_notification 64.", "§3.8",
            "a container of a ping and 1023 msgs_ack (1024 messages), then one of 1025 pings", "pong, then bad_msg_notification 64 and no pong",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply full = await probe.ExchangeAsync(FullContainer(probe), c.Cancel);
                if (full.Find("pong")?.Get<long>("ping_id") != 1024)
                {
                    return CaseOutcome.Fail($"a container of exactly 1024 messages was not processed: {full}");
                }

                byte[] ping = probe.Serialize(Probe.Ping(1));
                (byte[] wire, EnvelopeHeader container, _) = probe.Session.EncryptContainer([.. Enumerable.Range(0, 1025).Select(_ => (ping, true))]);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(IsInvalidContainer(reply, container) && !reply.Has("pong"), $"1024: {full}; 1025: {reply}");
            })
        {
            Passes = "the container of 1024 messages (ping 1024, then 1023 msgs_ack, cheap and unanswered) is answered with pong "
                + "ping_id 1024, which shows it was not refused; then the answer to the container of 1025 pings holds "
                + "bad_msg_notification with error_code 64 and bad_msg_id = that container's msg_id, and no pong. No pong for the "
                + "first (a refusal, silence, a closed connection), or for the second another code, a notification naming another "
                + "message, any pong, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-014", "service", Must, "msgs_ack listing more than 8192 ids does not disturb the server: the session goes on.", "§8",
            "msgs_ack with 8193 ids, then a ping", "pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("msgs_ack", Enumerable.Range(1, 8193).Select(i => (long)i).ToArray()), out _), c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Ping(3), c.Cancel);
                if (c.Target.Transport == "http" && !reply.Has("pong"))
                {
                    reply = await probe.SendAsync(Probe.Ping(4), c.Cancel);
                }

                return CaseOutcome.Check(reply.Has("pong"), $"ping after the long ack: {reply}");
            })
        {
            Passes = "after msgs_ack with 8193 ids (sent without waiting), a ping in the same session on the same connection is "
                + "answered with pong (over HTTP, where the ack's own empty answer may come first, a second ping may be the one "
                + "answered). No pong, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-015", "service", Should, "msg_resend_req gets an unacknowledged answer again, under a new header.", "§3.9, §8",
            "an RPC call left unacknowledged, then msg_resend_req(its answer's msg_id)", "the answer again, not under its first header", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply rpc = await probe.SendAsync(Probe.Call("destroy_session", 7L), c.Cancel);
                ServerMessage? answer = rpc.Messages.FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result");
                if (answer is null || rpc.Header is not { } original)
                {
                    return CaseOutcome.Fail($"no rpc_result: {rpc}");
                }

                Reply resent = await probe.SendAsync(Probe.Call("msg_resend_req", new[] { answer.MsgId }), c.Cancel);
                bool again = resent.Messages.Any(m => m.MsgId == answer.MsgId);
                bool newHeader = resent.Header is { } h && h.MsgId != original.MsgId && h.MsgId != answer.MsgId;
                return CaseOutcome.Check(again && newHeader, $"first: {rpc}; after msg_resend_req: {resent}");
            })
        {
            Passes = "the RPC call is answered with rpc_result; the answer to msg_resend_req(its msg_id) holds a message with that "
                + "msg_id again, in a packet whose header msg_id is neither the first packet's nor the rpc_result's own (so never "
                + "alone under an old header). No rpc_result at first, no re-sent answer, an old header, silence or a closed "
                + "connection fails. -429: not applicable.",
        },
        new("SVC-016", "service", Must, "msgs_state_req reports 1 for an id below the session's memory and 2 for a gap between processed ids.", "§8",
            "pings A and C, then msgs_state_req([an id older than the session, B])", "statuses 1 and 2", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                EnvelopeHeader old = probe.Session.NextHeader(true);
                await probe.WarmAsync(c.Cancel);
                EnvelopeHeader gap = probe.Session.NextHeader(true);
                await probe.SendAsync(Probe.Ping(3), c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Call("msgs_state_req", new[] { old.MsgId, gap.MsgId }), c.Cancel);
                byte[]? info = reply.Find("msgs_state_info")?.Get<byte[]>("info");
                return CaseOutcome.Check(info is { Length: 2 } && info[0] == 1 && (info[1] & 7) == 2,
                    $"answer: {reply}; info {(info is null ? "none" : Convert.ToHexString(info))}");
            })
        {
            Passes = "in a fresh session, the answer holds msgs_state_info with exactly 2 bytes: the first exactly 1 (an id from "
                + "before the session's first message: below its memory) and the second with low bits 2 (an id never sent, between "
                + "two processed pings). Other statuses, no msgs_state_info, silence or a closed connection fails. -429: not applicable.",
        },
        ServerHeaders("SVC-017", "Every server msg_id has a server's low bits (01 for answers, 11 for notifications).",
            "every msg_id has low bits 01 or 11", (_, m) =>
            (m.MsgId & 3) is 1 or 3 ? null : $"msg_id {m.MsgId} has low bits {m.MsgId & 3}"),
        ServerHeaders("SVC-018", "Server seq_nos are odd for content-related messages and even for the others.",
            "every seq_no is odd for a content-related constructor and even otherwise (bad_msg_notification and bad_server_salt are not judged)", (_, m) =>
            ((m.SeqNo & 1) == 1) == ContentRelated.IsContentRelated(m.Body.Combinator.Id) || m.Body.Combinator.Name is "bad_msg_notification" or "bad_server_salt"
                ? null : $"{m.Body.Combinator.Name} has seq_no {m.SeqNo}"),
        ServerHeaders("SVC-019", "Server msg_ids carry the server's time, within 300 s of the client's corrected clock.",
            "every msg_id's time is within 300 s of the client's clock corrected by the handshake's server_time (refined to the "
            + "microsecond only by a server msg_id that agrees with server_time to within 2 s, so a server whose msg_ids are off "
            + "its own clock cannot set the clock they are judged by)", (probe, m) =>
            Math.Abs((MsgId.ToTime(m.MsgId) - (DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset)).TotalSeconds) < 300
                ? null : $"msg_id {m.MsgId} is {MsgId.ToTime(m.MsgId):u}"),
        new("SVC-020", "service", Must, "Server msg_ids increase: every answer's msg_id is above the previous answer's in the session.", "§3.1",
            "five pings in a row", "five increasing answer msg_ids", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                var ids = new List<long>();
                for (int i = 0; i < 5; i++)
                {
                    Reply reply = await probe.SendAsync(Probe.Ping(i), c.Cancel);
                    ids.AddRange(reply.Header is { } h ? [h.MsgId] : []);
                }

                return CaseOutcome.Check(ids.Count == 5 && ids.Zip(ids.Skip(1)).All(p => p.Second > p.First), $"answer msg_ids: {string.Join(", ", ids)}");
            })
        {
            Passes = "each of five pings in a row gets an encrypted answer (any packet under the session's key) and the five "
                + "answers' header msg_ids strictly increase. A missing answer (silence, a closed connection, a transport error) or "
                + "a msg_id not above the previous one fails. -429: not applicable.",
        },
        new("SVC-021", Category, Must,
            "ping_delay_disconnect arms a timer: the connection closes once disconnect_delay seconds pass with no further "
            + "ping_delay_disconnect, and a new one resets the timer.", "§8",
            "ping_delay_disconnect(delay 1) and at once ping_delay_disconnect(delay 30); 2 s later a ping; then ping_delay_disconnect(delay 1) and silence",
            "pong to the ping; then the connection closed", async c =>
            {
                if (c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable("an HTTP request has no connection for the timer to close");
                }

                // The timers' own pongs are SVC-002's requirement, so they are sent without waiting for them and not judged.
                await using Probe probe = await c.WarmSessionAsync();
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("ping_delay_disconnect", 1L, 1), out _), c.Cancel);
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("ping_delay_disconnect", 2L, 30), out _), c.Cancel);
                await Task.Delay(TimeSpan.FromSeconds(2), c.Cancel);
                List<Reply> kept = await UntilPongAsync(probe, 3, c.Cancel);
                if (kept[^1].Find("pong")?.Get<long>("ping_id") != 3)
                {
                    return CaseOutcome.Fail($"a ping 2 s after the timers, past the delay of 1 s that the delay of 30 s replaced: {string.Join("; ", kept)}");
                }

                await probe.Transport.SendAsync(probe.Seal(Probe.Call("ping_delay_disconnect", 4L, 1), out _), c.Cancel);
                Reply end = await ClosedWithinAsync(probe, TimeSpan.FromSeconds(5), c.Cancel);
                return CaseOutcome.Check(end.Closed, $"the ping 2 s after the timers: {string.Join("; ", kept)}; "
                    + $"then, within 5 s of a delay of 1 s: {end}" + (end.Closed ? "" : " — the connection stayed open"));
            })
        {
            Passes = "after ping_delay_disconnect(1, delay 1) and ping_delay_disconnect(2, delay 30), sent back to back without "
                + "waiting, a ping sent 2 s later (past the first delay, within the second) is answered with pong (ping_id 3) on "
                + "the same connection, read until that pong, a close or 1 s of silence; after ping_delay_disconnect(4, delay 1) the "
                + "server closes the connection within 5 s (packets before the close are allowed). The timers' own pongs are not "
                + "judged (SVC-002). A close before the ping's pong (the first timer not reset), no pong, or the connection still "
                + "open after 5 s (no timer) fails. Not applicable over HTTP. -429: not applicable.",
        },
        new("SVC-022", Category, Must, "msgs_state_req reports an RPC call whose answer the server produced as received, processed and answered: 4 + 32 + 64.",
            "§8", "an RPC call (destroy_session), then msgs_state_req([its msg_id])", "msgs_state_info with one byte: low bits 4, flags 32 and 64",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                (long call, Reply rpc) = await CallAsync(probe, Probe.Call("destroy_session", 22L), c.Cancel);
                if (!rpc.Has("rpc_result"))
                {
                    return CaseOutcome.Fail($"no rpc_result for the RPC call: {rpc}");
                }

                Reply reply = await probe.SendAsync(Probe.Call("msgs_state_req", new[] { call }), c.Cancel);
                byte[]? info = reply.Find("msgs_state_info")?.Get<byte[]>("info");
                // 4: received; 32: the RPC query was processed; 64: a content-related response was generated.
                return CaseOutcome.Check(info is [var status] && (status & 7) == 4 && (status & (32 | 64)) == (32 | 64),
                    $"answer: {reply}; info {(info is null ? "none" : Convert.ToHexString(info))}");
            })
        {
            Passes = "after the RPC call is answered with rpc_result, the answer to msgs_state_req([the call's msg_id]) holds "
                + "msgs_state_info whose info is exactly 1 byte with low bits 4 (received) and both flags 32 (the query was "
                + "processed) and 64 (a response was generated) set; flag 16 is not judged. No rpc_result at first, another "
                + "length, status or a flag missing, no msgs_state_info, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-023", Category, Must,
            "A function the server knows but does not serve, sent in an encrypted message, gets rpc_result carrying a readable rpc_error, "
            + "not silence, and the session goes on.", "§8",
            "req_pq_multi (a handshake function) inside an encrypted message, then a ping",
            "rpc_result(req_msg_id = the call) carrying rpc_error (code >= 400, a message); then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                (long call, Reply reply) = await CallAsync(probe, Probe.Call("req_pq_multi", new byte[16]), c.Cancel);
                TlObject? result = reply.Find("rpc_result");
                TlObject? error = result?.Get<long>("req_msg_id") == call ? result.Get<TlObject>("result") : null;
                bool readable = error?.Combinator.Name == "rpc_error" && error.Get<int>("error_code") >= 400
                    && error.Get<byte[]>("error_message").Length > 0;
                Reply after = await probe.SendAsync(Probe.Ping(23), c.Cancel);
                string text = error?.Combinator.Name == "rpc_error"
                    ? $" ({error.Get<int>("error_code")} \"{System.Text.Encoding.UTF8.GetString(error.Get<byte[]>("error_message"))}\")"
                    : "";
                return CaseOutcome.Check(readable && after.Find("pong")?.Get<long>("ping_id") == 23, $"answer: {reply}{text}; then a ping: {after}");
            })
        {
            Passes = "the answer holds rpc_result whose req_msg_id is the call's msg_id and whose result is rpc_error with "
                + "error_code at least 400 and a non-empty error_message (the code itself is not judged); then a ping in the same "
                + "session on the same connection gets pong with ping_id 23. An rpc_result for another request, another result, "
                + "a code below 400, an empty message, silence, a closed connection or no pong afterwards fails. -429: not applicable.",
        },
        new("SVC-024", Category, Must,
            "rpc_drop_answer for an answer still waiting for its acknowledgement names it in rpc_answer_dropped (msg_id, seq_no, bytes), "
            + "and the dropped answer is never sent again.", "§8",
            "an RPC call left unacknowledged; rpc_drop_answer(the call); msg_resend_req(the answer's msg_id) and a ping",
            "rpc_result(rpc_answer_dropped naming the answer); then pong and never the answer again", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                (long call, Reply rpc) = await CallAsync(probe, Probe.Call("destroy_session", 24L), c.Cancel);
                ServerMessage? answer = rpc.Messages.FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result");
                if (answer is null)
                {
                    return CaseOutcome.Fail($"no rpc_result for the RPC call: {rpc}");
                }

                Reply drop = await probe.SendAsync(Probe.Call("rpc_drop_answer", call), c.Cancel);
                TlObject? dropped = drop.Find("rpc_result")?.Get<TlObject>("result");
                bool named = dropped?.Combinator.Name == "rpc_answer_dropped" && dropped.Get<long>("msg_id") == answer.MsgId
                    && dropped.Get<int>("seq_no") == answer.SeqNo && dropped.Get<int>("bytes") == probe.Serialize(answer.Body).Length;
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("msg_resend_req", new[] { answer.MsgId }), out _), c.Cancel);
                List<Reply> after = await UntilPongAsync(probe, 24, c.Cancel);
                bool resent = after.Any(r => r.Messages.Any(m => m.MsgId == answer.MsgId));
                string naming = dropped?.Combinator.Name == "rpc_answer_dropped"
                    ? $" naming {dropped.Get<long>("msg_id")} (seq_no {dropped.Get<int>("seq_no")}, {dropped.Get<int>("bytes")} bytes)"
                    : "";
                return CaseOutcome.Check(named && !resent && after[^1].Has("pong"),
                    $"answer {answer.MsgId} (seq_no {answer.SeqNo}, {probe.Serialize(answer.Body).Length} bytes); rpc_drop_answer: {drop}{naming}; "
                    + $"after msg_resend_req and a ping: {string.Join("; ", after)}" + (resent ? " — the dropped answer was sent again" : ""));
            })
        {
            Passes = "the RPC call (destroy_session) is answered with rpc_result; rpc_drop_answer(the call's msg_id) is answered "
                + "with rpc_result holding rpc_answer_dropped whose msg_id, seq_no and bytes are the first answer's (bytes: the "
                + "length of its serialized body); after msg_resend_req(the answer's msg_id), sent without waiting, and a ping, the "
                + "packets read until pong (ping_id 24) or 1 s of silence hold the pong and no message with the answer's msg_id. "
                + "No rpc_result at first, rpc_answer_unknown, other fields, the answer sent again, no pong, silence or a closed "
                + "connection fails. -429: not applicable.",
        },
    ];

    /// <summary>Sends a function under the session's next header; returns its msg_id and the packet that follows.</summary>
    private static async Task<(long MsgId, Reply Reply)> CallAsync(Probe probe, TlObject function, CancellationToken cancel)
    {
        byte[] wire = probe.Seal(function, out EnvelopeHeader header);
        return (header.MsgId, await probe.ExchangeAsync(wire, cancel));
    }

    /// <summary>
    /// Reads what the server sends until it closes the connection (the result is then Closed), stays silent, or
    /// <paramref name="limit"/> passes.
    /// </summary>
    private static async Task<Reply> ClosedWithinAsync(Probe probe, TimeSpan limit, CancellationToken cancel)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        Reply next;
        do
        {
            TimeSpan left = limit - waited.Elapsed;
            next = await probe.NextAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancel);
        }
        while (!next.Closed && !next.TimedOut);

        return next;
    }

    /// <summary>Sends a ping and returns the packets read until its pong, a close or 1 s of silence (the last one ends the list).</summary>
    private static async Task<List<Reply>> UntilPongAsync(Probe probe, long pingId, CancellationToken cancel)
    {
        var packets = new List<Reply> { await probe.SendAsync(Probe.Ping(pingId), cancel) };
        while (packets[^1] is { TimedOut: false, Closed: false } last && last.Find("pong")?.Get<long>("ping_id") != pingId)
        {
            packets.Add(await probe.NextAsync(TimeSpan.FromSeconds(1), cancel));
        }

        return packets;
    }

    private static ConformanceCase ServerHeaders(string id, string requirement, string passes, Func<Probe, ServerMessage, string?> problem) =>
        new(id, "service", Must, requirement, "§3.1, §3.3", "a container of ping, get_future_salts and msgs_ack in a new session",
            "every server message well formed", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                (byte[] wire, _, _) = probe.Session.EncryptContainer([(probe.Serialize(Probe.Ping(1)), true),
                    (probe.Serialize(Probe.Call("get_future_salts", 1)), true), (probe.Serialize(Probe.Call("msgs_ack", OneId)), false)]);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                var all = reply.Messages.ToList();
                if (reply.Header is { } h && reply.Messages.Count > 1)
                {
                    all.Add(new ServerMessage(h.MsgId, h.SeqNo, new TlObject(TlSchema.Testbed["msg_container"], (object)Array.Empty<object?>())));
                }

                string[] problems = [.. all.Select(m => problem(probe, m)).OfType<string>()];
                return CaseOutcome.Check(all.Count > 0 && problems.Length == 0, $"answer: {reply}" + (problems.Length > 0 ? "; " + string.Join("; ", problems) : ""));
            })
        {
            Passes = "the answer to a fresh session's container of ping, get_future_salts and msgs_ack holds at least one message, and "
                + passes + " (each message inside the answer, and the answer's own container header when it holds several). An empty "
                + "answer, silence, a closed connection or a transport error fails. -429: not applicable.",
        };

    private static ConformanceCase BadContainer(string id, string defect,
        Func<Probe, EnvelopeHeader, EnvelopeHeader, EnvelopeHeader, byte[]> build) =>
        new(id, Category, Must, $"A msg_container with {defect} is refused whole with bad_msg_notification 64.", "§3.8", $"a container with {defect}",
            "bad_msg_notification 64 naming the container, and no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader a = probe.Session.NextHeader(true), b = probe.Session.NextHeader(true), container = probe.Session.NextHeader(false);
                byte[] data = build(probe, a, b, container);
                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(container, data, PaddingPolicy.MinimalLength(data.Length)), c.Cancel);
                return CaseOutcome.Check(IsInvalidContainer(reply, container) && !reply.Has("pong"), $"answer: {reply}");
            })
        {
            Passes = $"the answer to a container with {defect} holds bad_msg_notification with error_code 64 and bad_msg_id = the "
                + "container's msg_id (refused whole), and no pong. Another code (bad_server_salt included), a notification naming an "
                + "inner message, any pong, silence or a closed connection fails. -429: not applicable.",
        };

    /// <summary>
    /// A container of exactly <see cref="MessageContainer.MaxMessages"/> messages whose processing one answer proves: 1023
    /// msgs_ack (processed without an answer, so the boundary costs one pong, not 1024) and last a ping with ping_id 1024.
    /// </summary>
    private static byte[] FullContainer(Probe probe)
    {
        byte[] ack = probe.Serialize(Probe.Call("msgs_ack", OneId));
        // The ping first: the pong shows the container was not refused, and nothing else (SVC-003 judges the rest).
        (byte[] Body, bool ContentRelated)[] messages =
            [(probe.Serialize(Probe.Ping(MessageContainer.MaxMessages)), true), .. Enumerable.Repeat((ack, false), MessageContainer.MaxMessages - 1)];
        return probe.Session.EncryptContainer(messages).Wire;
    }

    /// <summary>bad_msg_notification 64 (invalid container, docs/protocol.md §3.6) naming exactly this message.</summary>
    internal static bool IsInvalidContainer(Reply reply, EnvelopeHeader refused) =>
        reply.Find("bad_msg_notification") is { } bad && bad.Get<int>("error_code") == 64 && bad.Get<long>("bad_msg_id") == refused.MsgId;

    /// <summary>
    /// A valid msgs_ack of <paramref name="length"/> bytes (its vector of zero ids fills them), written directly: a bomb a server
    /// that unpacks without bound reads as an ordinary acknowledgement and answers nothing.
    /// </summary>
    private static byte[] ExpandedAck(int length)
    {
        int ids = (length - 12) / 8;
        byte[] data = new byte[12 + (8 * ids)]; // no trailing bytes: the object must read whole
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(data, ContentRelated.MsgsAck);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), TlSchema.VectorId);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(8), ids);
        return data;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
