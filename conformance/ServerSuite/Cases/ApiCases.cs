using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>
/// What a real client speaks to the server beside the service messages (docs/protocol.md §3.1, §4.3, §9.1): unknown
/// methods answered per message, the API wrappers, and the msg_id class of pushed updates. Service category.
/// </summary>
internal static class ApiCases
{
    private const string Category = "service";

    // gramjs 2.26.22's layer: its Config layout (config#cc1a241e) is the one the reference server writes.
    private const int Layer = 193;

    // No schema this suite knows has this id: a method the server cannot know.
    private const uint UnknownFunction = 0xdeadbeef;

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("SVC-025", Category, Must,
            "A message naming an unknown function gets its own readable rpc_error, and the messages beside it in the container are processed.",
            "§3.8, §4.3", "a container of an unknown function (0xdeadbeef) and a ping",
            "rpc_result(rpc_error) naming the unknown call, and the pong of the ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] unknown = new byte[12];
                BinaryPrimitives.WriteUInt32LittleEndian(unknown, UnknownFunction);
                (byte[] wire, _, EnvelopeHeader[] inner) = probe.Session.EncryptContainer([(unknown, true), (probe.Serialize(Probe.Ping(25)), true)]);
                Reply[] packets = await UntilAsync(probe, wire, r => Answers.RpcError(r, inner[0].MsgId) is not null, c.Cancel);
                bool error = packets.Any(r => Answers.RpcError(r, inner[0].MsgId) is not null);
                bool pong = packets.Any(r => Answers.Pong(r, 25));
                return CaseOutcome.Check(error && pong, $"answers: {string.Join("; ", packets.Select(r => r + Answers.DescribeError(r)))}");
            })
        {
            Passes = "the packets read after the container (until both answers came, at most 4 packets each within 5 s) hold rpc_result "
                + "whose req_msg_id is the unknown call's msg_id and whose result is rpc_error with error_code at least 400 and a non-empty "
                + "error_message (the reference server: 400 INPUT_METHOD_INVALID), and a pong with ping_id 25. A transport error for the "
                + "packet (the whole container refused), a bad_msg_notification instead, no pong, silence or a closed connection fails. "
                + "-429: not applicable.",
        },
        new("SVC-026", Category, Must,
            "The API wrappers are unwrapped: invokeWithLayer(initConnection(help.getConfig)) is answered with the Config of the server's DC.",
            "§9.1, §9.2", $"invokeWithLayer({Layer}, initConnection(api_id 1, \"conformance\" strings, help.getConfig))",
            "rpc_result naming the call, carrying config whose this_dc is the target's DC and whose dc_options name it", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                TlObject call = WithLayer(Probe.Call("help.getConfig"));
                byte[] wire = probe.Seal(call, out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? config = ResultOf(reply, header.MsgId);
                bool described = config?.Combinator.Name == "config" && config.Get<int>("this_dc") == c.Target.DataCenter
                    && config.Get<object?[]>("dc_options").Cast<TlObject>().Any(o => o.Get<int>("id") == c.Target.DataCenter);
                return CaseOutcome.Check(described, $"answer: {reply}{Answers.DescribeError(reply)}"
                    + (config?.Combinator.Name == "config" ? $"; this_dc {config.Get<int>("this_dc")}" : ""));
            })
        {
            Passes = $"the answer holds rpc_result whose req_msg_id is the call's msg_id and whose result is config (config#cc1a241e, the "
                + $"layout of layer {Layer}) with this_dc equal to the target's DC and a dc_options entry with that id. An rpc_error (the "
                + "wrappers unknown or not served), another result, a transport error, silence or a closed connection fails. -429: not applicable.",
        },
        new("SVC-027", Category, Must,
            "invokeAfterMsg keeps its ordering: its query runs once the named message is answered, and is refused with an rpc_error "
            + "when the named message was never received, never run out of order.", "§9.1",
            "invokeAfterMsg(an id never sent, help.getNearestDc); a ping; invokeAfterMsg(the ping's msg_id, help.getNearestDc)",
            "rpc_error for the first; nearestDc for the second", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                long neverSent = probe.Session.NextHeader(true).MsgId;
                byte[] first = probe.Seal(Probe.Call("invokeAfterMsg", neverSent, Probe.Call("help.getNearestDc")), out EnvelopeHeader refused);
                Reply early = await probe.ExchangeAsync(first, c.Cancel);
                byte[] ping = probe.Seal(Probe.Ping(27), out EnvelopeHeader pinged);
                Reply pong = await probe.ExchangeAsync(ping, c.Cancel);
                byte[] second = probe.Seal(Probe.Call("invokeAfterMsg", pinged.MsgId, Probe.Call("help.getNearestDc")), out EnvelopeHeader ordered);
                Reply late = await probe.ExchangeAsync(second, c.Cancel);
                bool waited = Answers.RpcError(early, refused.MsgId) is not null && ResultOf(early, refused.MsgId)?.Combinator.Name == "rpc_error";
                bool ran = Answers.Pong(pong, 27) && ResultOf(late, ordered.MsgId)?.Combinator.Name == "nearestDc";
                return CaseOutcome.Check(waited && ran, $"after an id never sent: {early}{Answers.DescribeError(early)}; "
                    + $"the ping: {pong}; after the answered ping: {late}{Answers.DescribeError(late)}");
            })
        {
            Passes = "invokeAfterMsg naming a msg_id the client never sent is answered with rpc_result naming it and carrying rpc_error "
                + "(error_code at least 400, a non-empty message; the reference server: 400 MSG_WAIT_FAILED), not with nearestDc; the "
                + "ping is answered with pong 27; invokeAfterMsg naming the answered ping is answered with rpc_result carrying nearestDc. "
                + "The query run at once (nearestDc for the first), an rpc_error for the second, silence or a closed connection fails. "
                + "-429: not applicable.",
        },
        new("SVC-028", Category, Must,
            "An update the server pushes unprompted has a msg_id of 3 mod 4; the RPC answer beside it has 1 mod 4.", "§3.1",
            "chat.register, then chat.sendMessage to oneself (the chat layer pushes chat.updateNewMessage to every session of the key), then a ping",
            "rpc_result with msg_id 1 mod 4 and the pushed update with msg_id 3 mod 4", async c =>
            {
                // A key of its own: the update goes to every session of the key, and the shared key's are other cases'.
                await using Probe probe = await (await c.OwnKeySessionAsync()).WarmAsync(c.Cancel);
                Reply registered = await probe.SendAsync(Probe.Call("chat.register", "conformance"u8.ToArray()), c.Cancel);
                if (registered.Find("rpc_result")?.Get<TlObject>("result") is not { } user || user.Combinator.Name != "chat.user")
                {
                    return CaseOutcome.Fail($"chat.register was not answered with chat.user: {registered}{Answers.DescribeError(registered)}");
                }

                byte[] wire = probe.Seal(Probe.Call("chat.sendMessage", user.Get<long>("id"), BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)),
                    Encoding.UTF8.GetBytes("SVC-028")), out EnvelopeHeader sent);
                // A ping after it: over HTTP the pushed update can only come with the answer to a later request.
                Reply answered = await probe.ExchangeAsync(wire, c.Cancel);
                (_, Reply[] pinged) = await Answers.PingAsync(probe, 28, c.Cancel);
                Reply[] packets = [answered, .. pinged];
                ServerMessage[] messages = [.. packets.SelectMany(r => r.Messages)];
                ServerMessage? answer = messages.FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == sent.MsgId);
                ServerMessage? update = messages.FirstOrDefault(m => m.Body.Combinator.Name == "chat.updateNewMessage");
                return CaseOutcome.Check(answer is { MsgId: var a } && (a & 3) == 1 && update is { MsgId: var u } && (u & 3) == 3,
                    $"rpc_result msg_id {answer?.MsgId.ToString() ?? "missing"} (low bits {answer?.MsgId & 3}), "
                    + $"update msg_id {update?.MsgId.ToString() ?? "missing"} (low bits {update?.MsgId & 3}); packets: {string.Join("; ", packets.AsEnumerable())}");
            })
        {
            Passes = "after chat.register is answered with chat.user, the packets read after chat.sendMessage to one's own id and a "
                + "ping sent after it (until its pong, at most 8 packets each within 5 s) hold rpc_result naming the call with a msg_id of 1 mod 4 and "
                + "chat.updateNewMessage with a msg_id of 3 mod 4. The update stamped 1 mod 4, the answer stamped 3 mod 4, either "
                + "missing, silence or a closed connection fails. -429: not applicable.",
        },
    ];

    /// <summary>invokeWithLayer(<see cref="Layer"/>, initConnection(...)) around <paramref name="query"/>, as gramjs sends its first call.</summary>
    private static TlObject WithLayer(TlObject query) => Probe.Call("invokeWithLayer", Layer, Probe.Call("initConnection", 0, 1,
        "conformance"u8.ToArray(), "conformance"u8.ToArray(), "1.0"u8.ToArray(), "en"u8.ToArray(), ""u8.ToArray(), "en"u8.ToArray(), null, null, query));

    /// <summary>What rpc_result naming <paramref name="requestMsgId"/> carries, if the reply has one.</summary>
    private static TlObject? ResultOf(Reply reply, long requestMsgId) => reply.Messages
        .FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == requestMsgId)?.Body.Get<TlObject>("result");

    /// <summary>Sends <paramref name="wire"/> and reads packets until one satisfies <paramref name="done"/>, a close, silence, or 4 packets.</summary>
    private static async Task<Reply[]> UntilAsync(Probe probe, byte[] wire, Func<Reply, bool> done, CancellationToken cancel)
    {
        var packets = new List<Reply> { await probe.ExchangeAsync(wire, cancel) };
        while (!packets.Any(done) && packets.Count < 4 && packets[^1] is { TimedOut: false, Closed: false, TransportError: 0 })
        {
            packets.Add(await probe.NextAsync(Probe.AnswerTimeout, cancel));
        }

        return [.. packets];
    }
}
