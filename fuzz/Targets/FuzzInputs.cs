using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Fuzz.Targets;

/// <summary>Fixed keys and builders for seed inputs: deterministic, so a crash replays the same way anywhere.</summary>
internal static class FuzzInputs
{
    private static readonly Lazy<RsaKeyPair> LazyRsa = new(() => RsaKeyPair.Generate());

    /// <summary>The envelope targets' auth key: 256 bytes derived from a constant.</summary>
    public static AuthKey AuthKey { get; } = AuthKey.FromBytes(Enumerable.Range(0, 256).Select(i => (byte)((i * 131) + 7)).ToArray());

    /// <summary>An RSA key for the RSA targets (generated once per process: decoding does not depend on which key).</summary>
    public static RsaKeyPair Rsa => LazyRsa.Value;

    public static TlObject Object(string name, params object?[] values) => new(TlSchema.Testbed[name], values);

    public static byte[] Serialize(TlObject value) => TlCodec.Testbed.Serialize(value);

    /// <summary>The little-endian bytes of every constructor id in the schemas (dictionary tokens).</summary>
    public static IEnumerable<byte[]> ConstructorIds() => TlSchema.Testbed.Combinators.Select(c =>
    {
        byte[] id = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, c.Id);
        return id;
    });

    /// <summary>Little-endian 32-bit values that matter for lengths and markers.</summary>
    public static IEnumerable<byte[]> Int32Tokens(params int[] values) => values.Select(v =>
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, v);
        return bytes;
    });

    /// <summary>Messages of every kind a session carries, serialized.</summary>
    public static IEnumerable<TlObject> SessionMessages()
    {
        yield return Object("ping", 1L);
        yield return Object("ping_delay_disconnect", 2L, 75);
        yield return Object("msgs_ack", (object)new[] { 4L, 8L });
        yield return Object("get_future_salts", 3);
        yield return Object("msgs_state_req", (object)new[] { 4L });
        yield return Object("msg_resend_req", (object)new[] { 4L });
        yield return Object("http_wait", 0, 0, 25000);
        yield return Object("destroy_session", 5L);
        yield return Object("rpc_drop_answer", 6L);
        yield return Object("chat.register", "name"u8.ToArray());
        yield return Object("chat.sendMessage", 1L, 2L, "hello"u8.ToArray());
        yield return Object("chat.getHistory", 1L, 0L, 10);
        yield return Object("invokeWithLayer", 193, Object("initConnection", 0, 1, "device"u8.ToArray(), "system"u8.ToArray(), "app"u8.ToArray(),
            "en"u8.ToArray(), ""u8.ToArray(), "en"u8.ToArray(), null, null, Object("help.getConfig")));
        yield return Object("invokeAfterMsgs", (object)new[] { 4L }, Object("invokeWithoutUpdates", Object("help.getNearestDc")));
        yield return Object("gzip_packed", Testbed.Protocol.Messages.GzipPacked.Pack(Serialize(Object("ping", 9L))));
        yield return new TlObject(TlSchema.Testbed["msg_container"], (object)new object?[]
        {
            Object("message", 4L, 1, 12, Object("ping", 1L)),
            Object("message", 8L, 2, 20, Object("msgs_ack", (object)new[] { 1L })),
        });
        yield return Object("rpc_result", 4L, Object("chat.messages", (object)new object?[]
        {
            Object("chat.message", 1L, 2L, 3L, 4L, 5, "x"u8.ToArray(), true),
        }));
    }
}
