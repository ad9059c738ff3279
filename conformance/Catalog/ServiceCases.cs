using System.IO.Compression;
using Testbed.Conformance.Running;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Catalog.RequirementLevel;

namespace Testbed.Conformance.Catalog;

/// <summary>Containers, acknowledgements and service messages (docs/protocol.md §3.8, §3.9, §8).</summary>
internal static class ServiceCases
{
    private const string Category = "service";

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
    ];

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
