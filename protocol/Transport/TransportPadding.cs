using System.Buffers.Binary;
using Testbed.Protocol.Envelope;

namespace Testbed.Protocol.Transport;

/// <summary>
/// Padded intermediate framing appends 0–15 random bytes to each payload (docs/protocol.md §6). The receiver finds
/// the real end from the payload itself: a transport error code is 4 bytes, an unencrypted message says its length,
/// and an encrypted one is 24 bytes plus whole 16-byte blocks — so the padding is never ambiguous.
/// </summary>
public static class TransportPadding
{
    /// <summary>The length of <paramref name="payload"/> without the framing's random tail.</summary>
    public static int UnpaddedLength(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < UnencryptedMessage.HeaderSize + 4)
        {
            return Math.Min(4, payload.Length); // only a transport error code is this short
        }

        if (BinaryPrimitives.ReadInt64LittleEndian(payload) == 0)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(payload[16..]);
            return length >= 0 && length <= payload.Length - UnencryptedMessage.HeaderSize ? UnencryptedMessage.HeaderSize + length : payload.Length;
        }

        int blocks = (payload.Length - MessageEnvelope.WireHeaderSize) / Crypto.AesIge.BlockSize;
        return MessageEnvelope.WireHeaderSize + (blocks * Crypto.AesIge.BlockSize);
    }
}
