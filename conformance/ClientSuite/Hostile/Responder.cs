using System.Security.Cryptography;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// A correct server's answers to what the shim scenarios send (docs/client-shims.md): ping and ping_delay_disconnect
/// with pong, get_future_salts with future_salts, help.getNearestDc (inside any API wrapper) with nearestDc, and any
/// other function with rpc_error 400 INPUT_METHOD_INVALID (docs/protocol.md §8, §9). Acknowledgements and other
/// service messages get nothing.
/// </summary>
internal static class Responder
{
    /// <summary>The country a correct server names in nearestDc; cases that smuggle an answer in use another.</summary>
    public const string Country = "NL";

    public static async Task AnswerAsync(ClientMessage message, HostileSession session)
    {
        TlSchema schema = TlCodec.Testbed.Schema;
        TlObject? body = message.Object;
        switch (body?.Combinator.Name)
        {
            case null when message.IsContentRelated:
                await session.SendAsync(RpcError(message.MsgId, 400, "INPUT_METHOD_INVALID"));
                return;
            case null or "msgs_ack" or "msg_container" or "http_wait" or "msgs_state_info" or "msg_resend_req":
                return;
            case "ping" or "ping_delay_disconnect":
                await session.SendAsync(new TlObject(schema["pong"], message.MsgId, body.Get<long>("ping_id")));
                return;
            case "get_future_salts":
                int now = (int)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                await session.SendAsync(new TlObject(schema["future_salts"], message.MsgId, now,
                    new object?[] { new TlObject(schema["future_salt"], now - 60, now + 3600, session.Salt) }));
                return;
        }

        await session.SendAsync(message.Query?.Combinator.Name == "help.getNearestDc"
            ? RpcResult(message.MsgId, NearestDc(Country))
            : RpcError(message.MsgId, 400, "INPUT_METHOD_INVALID"));
    }

    /// <summary>nearestDc naming <paramref name="country"/> and DC 2 (the DC the runner gives every shim).</summary>
    public static TlObject NearestDc(string country) =>
        new(TlCodec.Testbed.Schema["nearestDc"], System.Text.Encoding.UTF8.GetBytes(country), 2, 2);

    public static TlObject RpcResult(long requestMsgId, TlObject result) =>
        new(TlCodec.Testbed.Schema["rpc_result"], requestMsgId, result);

    public static TlObject RpcError(long requestMsgId, int code, string text) =>
        RpcResult(requestMsgId, new TlObject(TlCodec.Testbed.Schema["rpc_error"], code, System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>new_session_created for a session whose first message was <paramref name="firstMsgId"/>.</summary>
    public static TlObject NewSessionCreated(long firstMsgId, long salt) =>
        new(TlCodec.Testbed.Schema["new_session_created"], firstMsgId, BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)), salt);

    /// <summary>An update the client should hand its user: updateShort{updateConfig, date} (protocol/Tl/Schema/api-updates.tl).</summary>
    public static TlObject Update(int date) =>
        new(TlCodec.Testbed.Schema["updateShort"], new TlObject(TlCodec.Testbed.Schema["updateConfig"]), date);
}
