using System.Buffers.Binary;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Sessions;

/// <summary>
/// Reads a client's msg_container message by message (docs/protocol.md §3.8, §4.3): each body is read as a TL object
/// on its own, and one that does not parse (an unknown method, a field that does not decode) is skipped by its bytes
/// field, so that it spoils only itself and not the acknowledgements and pings beside it. The framing itself — the
/// count and each message's msg_id, seqno and bytes — must hold; when it does not, the container cannot be read.
/// </summary>
internal static class ClientContainer
{
    // msg_container's id and count; each message's msg_id, seqno and bytes.
    private const int HeaderSize = 8;
    private const int EntryHeaderSize = 16;

    /// <summary>
    /// The messages of the container in <paramref name="data"/> (which starts with msg_container's id), or null when its
    /// framing does not hold: a count the data cannot hold, a message cut short, a body that does not parse and whose
    /// bytes field does not fit, or bytes left after the last message.
    /// </summary>
    public static ContainerEntry[]? Read(TlCodec codec, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(data) != ContentRelated.MsgContainer)
        {
            return null;
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if (count < 0 || count > (data.Length - HeaderSize) / EntryHeaderSize)
        {
            return null;
        }

        var entries = new ContainerEntry[count];
        int offset = HeaderSize;
        for (int i = 0; i < count; i++)
        {
            if (data.Length - offset < EntryHeaderSize)
            {
                return null;
            }

            long msgId = BinaryPrimitives.ReadInt64LittleEndian(data[offset..]);
            int seqNo = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 8)..]);
            int bytes = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 12)..]);
            offset += EntryHeaderSize;
            if (ReadBody(codec, data[offset..], bytes) is not { } read)
            {
                return null;
            }

            entries[i] = new ContainerEntry(msgId, seqNo, bytes, read.Length, read.Body);
            offset += read.Length;
        }

        return offset == data.Length ? entries : null;
    }

    // The body as far as its own structure goes (its length is then compared with bytes by the caller); one that does
    // not parse takes exactly bytes, which must then be whole 32-bit words within the data.
    private static (MessageBody Body, int Length)? ReadBody(TlCodec codec, ReadOnlySpan<byte> rest, int bytes)
    {
        var reader = new TlReader(rest);
        try
        {
            return (MessageBody.Of(codec.ReadObject(ref reader)), reader.Position);
        }
        catch (TlDecodeException e)
        {
            return bytes >= 0 && bytes <= rest.Length && bytes % 4 == 0
                ? (MessageBody.Unreadable(rest[..bytes], e), bytes)
                : null;
        }
    }
}
