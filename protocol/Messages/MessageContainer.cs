using System.Buffers;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Messages;

/// <summary>
/// msg_container#73f1f8dc messages:vector&lt;%Message&gt; (docs/protocol.md §4): messages carried together, each as
/// msg_id, seqno, bytes and body.
/// </summary>
public static class MessageContainer
{
    /// <summary>The most messages one container may hold.</summary>
    public const int MaxMessages = 1024;

    /// <summary>
    /// The bytes of a container holding exactly these entries, bytes set to each body's length. Nothing is checked,
    /// so negative tests can build bad containers.
    /// </summary>
    public static byte[] Build(IReadOnlyList<(long MsgId, int SeqNo, byte[] Body)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TlWriter(buffer);
        writer.WriteUInt32(ContentRelated.MsgContainer);
        writer.WriteInt32(entries.Count);
        foreach ((long msgId, int seqNo, byte[] body) in entries)
        {
            writer.WriteInt64(msgId);
            writer.WriteInt32(seqNo);
            writer.WriteInt32(body.Length);
            writer.WriteRaw(body);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
