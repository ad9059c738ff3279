using System.Buffers.Binary;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// Splits a client packet's message data into messages: a msg_container's entries (msg_id, seqno, bytes, body; docs/protocol.md
/// §3.8), or the one message the envelope carries. Bodies are read with the testbed's schema on their own, so one
/// the schema does not know still counts (its bytes are kept for the re-send invariant).
/// </summary>
internal static class ClientMessages
{
    private const int EntryHeader = 16; // msg_id, seqno, bytes

    public static IReadOnlyList<ClientMessage> Read(long msgId, int seqNo, byte[] data)
    {
        if (data.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(data) != ContentRelated.MsgContainer)
        {
            return [Message(msgId, seqNo, data, contained: false)];
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(4));
        var messages = new List<ClientMessage>();
        int offset = 8;
        for (int i = 0; i < count && offset + EntryHeader <= data.Length; i++)
        {
            long id = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(offset));
            int seq = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 8));
            int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 12));
            if (length < 0 || offset + EntryHeader + length > data.Length)
            {
                break;
            }

            messages.Add(Message(id, seq, data.AsSpan(offset + EntryHeader, length).ToArray(), contained: true));
            offset += EntryHeader + length;
        }

        return messages;
    }

    private static ClientMessage Message(long msgId, int seqNo, byte[] body, bool contained)
    {
        TlObject? parsed;
        try
        {
            parsed = TlCodec.Testbed.Deserialize(body);
            if (parsed.Combinator.Id == ContentRelated.GzipPacked
                && GzipPacked.TryUnpack(parsed.Get<byte[]>("packed_data"), 1 << 20, out byte[] unpacked))
            {
                parsed = TlCodec.Testbed.Deserialize(unpacked);
            }
        }
        catch (TlDecodeException)
        {
            parsed = null;
        }

        return new ClientMessage(msgId, seqNo, body, parsed, contained);
    }
}
