using System.Buffers.Binary;

namespace Testbed.Protocol.Handshake;

/// <summary>The first server_salt of a new auth key: <c>new_nonce[0:8] XOR server_nonce[0:8]</c> (docs/protocol.md §5.5).</summary>
public static class InitialSalt
{
    /// <summary>The salt as the TL <c>long</c> the wire carries (the 8 XORed bytes read little-endian).</summary>
    public static long Compute(ReadOnlySpan<byte> newNonce, ReadOnlySpan<byte> serverNonce)
    {
        if (newNonce.Length != 32 || serverNonce.Length != 16)
        {
            throw new ArgumentException("new_nonce is 32 bytes and server_nonce 16.");
        }

        return BinaryPrimitives.ReadInt64LittleEndian(newNonce) ^ BinaryPrimitives.ReadInt64LittleEndian(serverNonce);
    }
}
