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
            }),
        new("SVC-002", Category, Must, "ping_delay_disconnect is answered with pong.", "§8", "ping_delay_disconnect(ping_id, 75)", "pong", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            Reply reply = await probe.SendAsync(Probe.Call("ping_delay_disconnect", 5L, 75), c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 5, $"answer: {reply}");
        }),
        new("SVC-003", Category, Must, "Every message of a valid msg_container is processed.", "§3.8", "a container of two pings", "two pongs", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            (byte[] wire, _, _) = probe.Session.EncryptContainer([(probe.Serialize(Probe.Ping(31)), true), (probe.Serialize(Probe.Ping(32)), true)]);
            Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
            long[] ids = reply.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.Body.Get<long>("ping_id")).Order().ToArray();
            return CaseOutcome.Check(ids.SequenceEqual([31L, 32L]), $"answer: {reply}");
        }),
        BadContainer("SVC-004", "a container inside a container", (probe, a, b, container) =>
            MessageContainer.Build([(a.MsgId, a.SeqNo, probe.Serialize(Probe.Ping(1))),
                (b.MsgId, b.SeqNo, MessageContainer.Build([(a.MsgId - 4, 1, probe.Serialize(Probe.Ping(2)))]))])),
        BadContainer("SVC-005", "an inner msg_id not below the container's", (probe, a, b, container) =>
            MessageContainer.Build([(a.MsgId, a.SeqNo, probe.Serialize(Probe.Ping(1))), (container.MsgId + 4, b.SeqNo, probe.Serialize(Probe.Ping(2)))])),
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
            }),
        new("SVC-008", Category, Must, "A gzip_packed message is unpacked and processed as what it carries (and classified by it: a packed ping is content-related).",
            "§3.3", "gzip_packed(ping) with an odd seq_no", "pong", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            Reply reply = await probe.SendAsync(probe.Session.NextHeader(contentRelated: true), Probe.Call("gzip_packed", Gzip(probe.Serialize(Probe.Ping(81)))),
                c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 81, $"answer: {reply}");
        }),
        new("SVC-009", Category, Must, "A gzip_packed that expands past the server's limit is refused, not unpacked without bound.", "§3.3",
            "gzip_packed of 64 MiB of zeros (a 64 KiB packet)", "a refusal (bad_msg_notification or a transport error), never a crash or a hang",
            async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(probe.Session.NextHeader(contentRelated: true), Probe.Call("gzip_packed", Gzip(new byte[64 << 20])),
                    c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(9), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode is not null || reply.TransportError != 0 || (after.Has("pong") && !reply.TimedOut),
                    $"answer to the bomb: {reply}; then a ping: {after}");
            }),
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
                if (rpc.Header is not { } original)
                {
                    return CaseOutcome.Fail($"no answer to the RPC call: {rpc}");
                }

                await probe.ReconnectAsync(c.Cancel);
                Reply later = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                var packets = new List<Reply> { later };
                for (Reply next; !(next = await probe.NextAsync(TimeSpan.FromSeconds(1), c.Cancel)).TimedOut && !next.Closed;)
                {
                    packets.Add(next);
                }

                bool reused = packets.Any(p => p.Header?.MsgId == original.MsgId);
                _ = first;
                return CaseOutcome.Check(!reused, $"first answer header msg_id {original.MsgId}; after reconnecting: {string.Join("; ", packets)}"
                    + (reused ? " — the same header was encrypted twice" : ""));
            }),
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
                return CaseOutcome.Check(started.Elapsed >= TimeSpan.FromSeconds(0.8) && !reply.TimedOut,
                    $"answered after {started.Elapsed.TotalMilliseconds:F0} ms: {reply}");
            }),
        new("SVC-012", Category, Must, "A function the server does not implement gets an rpc_result with an rpc_error, not silence.", "§8",
            "rpc_drop_answer for a request the server never saw", "rpc_result", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Call("rpc_drop_answer", 12345L), c.Cancel);
                return CaseOutcome.Check(reply.Has("rpc_result"), $"answer: {reply}");
            }),
        new("SVC-013", "service", Must, "A msg_container of more than 1024 messages is refused with bad_msg_notification 64.", "§3.8",
            "a container of 1025 pings", "bad_msg_notification 64, no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] ping = probe.Serialize(Probe.Ping(1));
                (byte[] wire, _, _) = probe.Session.EncryptContainer([.. Enumerable.Range(0, 1025).Select(_ => (ping, true))]);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode == 64 && !reply.Has("pong"), $"answer: {reply}");
            }),
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
            }),
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
                return CaseOutcome.Check(again && resent.Header?.MsgId != original.MsgId, $"first: {rpc}; after msg_resend_req: {resent}");
            }),
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
            }),
        ServerHeaders("SVC-017", "Every server msg_id has a server's low bits (01 for answers, 11 for notifications).", (_, m) =>
            (m.MsgId & 3) is 1 or 3 ? null : $"msg_id {m.MsgId} has low bits {m.MsgId & 3}"),
        ServerHeaders("SVC-018", "Server seq_nos are odd for content-related messages and even for the others.", (_, m) =>
            ((m.SeqNo & 1) == 1) == ContentRelated.IsContentRelated(m.Body.Combinator.Id) || m.Body.Combinator.Name is "bad_msg_notification" or "bad_server_salt"
                ? null : $"{m.Body.Combinator.Name} has seq_no {m.SeqNo}"),
        ServerHeaders("SVC-019", "Server msg_ids carry the server's time, within 300 s of the client's corrected clock.", (probe, m) =>
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
            }),
    ];

    private static ConformanceCase ServerHeaders(string id, string requirement, Func<Probe, ServerMessage, string?> problem) =>
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
            });

    private static ConformanceCase BadContainer(string id, string defect,
        Func<Probe, EnvelopeHeader, EnvelopeHeader, EnvelopeHeader, byte[]> build) =>
        new(id, Category, Must, $"A msg_container with {defect} is refused whole with bad_msg_notification 64.", "§3.8", $"a container with {defect}",
            "bad_msg_notification 64 and no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                EnvelopeHeader a = probe.Session.NextHeader(true), b = probe.Session.NextHeader(true), container = probe.Session.NextHeader(false);
                byte[] data = build(probe, a, b, container);
                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(container, data, PaddingPolicy.MinimalLength(data.Length)), c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode == 64 && !reply.Has("pong"), $"answer: {reply}");
            });

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
