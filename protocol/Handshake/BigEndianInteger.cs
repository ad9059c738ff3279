using System.Numerics;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// Big numbers as the handshake carries them: unsigned, big-endian byte strings inside TL <c>string</c>s
/// (pq, p, q, dh_prime, g_a, g_b, RSA values; docs/protocol.md §5).
/// </summary>
public static class BigEndianInteger
{
    /// <summary>Reads an unsigned big-endian number.</summary>
    public static BigInteger Read(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    /// <summary>Writes <paramref name="value"/> as exactly <paramref name="length"/> big-endian bytes, zero-filled on the left.</summary>
    /// <exception cref="ArgumentException">The value is negative or needs more bytes.</exception>
    public static byte[] ToBytes(BigInteger value, int length)
    {
        if (value.Sign < 0 || value.GetByteCount(isUnsigned: true) > length)
        {
            throw new ArgumentException($"{value} does not fit in {length} unsigned bytes.", nameof(value));
        }

        byte[] result = new byte[length];
        int count = value.GetByteCount(isUnsigned: true);
        value.TryWriteBytes(result.AsSpan(length - count), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    /// <summary>The shortest big-endian form of <paramref name="value"/> (no leading zero bytes; 0 is one zero byte).</summary>
    public static byte[] ToMinimalBytes(ulong value)
    {
        int length = Math.Max(1, (64 - BitOperations.LeadingZeroCount(value) + 7) / 8);
        byte[] result = new byte[length];
        for (int i = length - 1; i >= 0; i--, value >>= 8)
        {
            result[i] = (byte)value;
        }

        return result;
    }

    /// <summary>Whether <paramref name="bytes"/> is the shortest form of its value (the form pq, p and q must take).</summary>
    public static bool IsMinimal(ReadOnlySpan<byte> bytes) => bytes.Length > 0 && (bytes[0] != 0 || bytes.Length == 1);
}
