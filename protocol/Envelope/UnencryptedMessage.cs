using System.Buffers.Binary;

namespace Testbed.Protocol.Envelope;

/// <summary>
/// The plaintext messages of the handshake: <c>auth_key_id = 0 (8) | msg_id (8) | message_data_length (4) | message_data</c>
/// (docs/protocol.md §2.1).
/// </summary>
public static class UnencryptedMessage
{
    /// <summary>auth_key_id, msg_id and length.</summary>
    public const int HeaderSize = 20;

    /// <summary>Builds a message.</summary>
    public static byte[] Build(long msgId, ReadOnlySpan<byte> messageData)
    {
        byte[] wire = new byte[HeaderSize + messageData.Length];
        BinaryPrimitives.WriteInt64LittleEndian(wire.AsSpan(8), msgId);
        BinaryPrimitives.WriteInt32LittleEndian(wire.AsSpan(16), messageData.Length);
        messageData.CopyTo(wire.AsSpan(HeaderSize));
        return wire;
    }

    /// <summary>Whether <paramref name="wire"/> starts with a zero auth_key_id (so it is not an encrypted message).</summary>
    public static bool IsUnencrypted(ReadOnlySpan<byte> wire) => wire.Length >= 8 && BinaryPrimitives.ReadInt64LittleEndian(wire) == 0;

    /// <summary>
    /// Reads a message. Refuses a non-zero auth_key_id, a negative length, and a length that does not end exactly at
    /// the end of the input — unless <paramref name="allowTrailing"/> (padded intermediate framing adds 0–15 bytes).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> wire, out long msgId, out int dataLength, bool allowTrailing = false)
    {
        msgId = 0;
        dataLength = 0;
        if (wire.Length < HeaderSize || !IsUnencrypted(wire))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(wire[16..]);
        int available = wire.Length - HeaderSize;
        if (length < 0 || length > available || (!allowTrailing && length != available) || available - length > 15)
        {
            return false;
        }

        msgId = BinaryPrimitives.ReadInt64LittleEndian(wire[8..]);
        dataLength = length;
        return true;
    }
}
