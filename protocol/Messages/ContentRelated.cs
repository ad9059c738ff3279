namespace Testbed.Protocol.Messages;

/// <summary>
/// Which messages are content-related, that is, need an acknowledgement and advance seq_no
/// (docs/protocol.md §3.3). The MTProto description calls virtually every message content-related except
/// acknowledgements and the wrappers that only carry other messages.
/// </summary>
public static class ContentRelated
{
    /// <summary>msgs_ack#62d6b459.</summary>
    public const uint MsgsAck = 0x62d6b459;

    /// <summary>msg_container#73f1f8dc.</summary>
    public const uint MsgContainer = 0x73f1f8dc;

    /// <summary>msg_copy#e06046b2.</summary>
    public const uint MsgCopy = 0xe06046b2;

    /// <summary>gzip_packed#3072cfa1. A receiver classifies a gzip_packed body by what it unpacks to; see remarks.</summary>
    public const uint GzipPacked = 0x3072cfa1;

    /// <summary>The constructors that are not content-related.</summary>
    public static IReadOnlySet<uint> NotContentRelated { get; } = new HashSet<uint> { MsgsAck, MsgContainer, MsgCopy, GzipPacked };

    /// <summary>Whether a message whose body starts with <paramref name="constructorId"/> is content-related.</summary>
    /// <remarks>
    /// gzip_packed counts as a wrapper here, as in the reference sheet; a server that unpacks first should classify
    /// the unpacked object instead, which is what real clients expect for a packed RPC result.
    /// </remarks>
    public static bool IsContentRelated(uint constructorId) => !NotContentRelated.Contains(constructorId);
}
