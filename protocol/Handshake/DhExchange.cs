using System.Numerics;

namespace Testbed.Protocol.Handshake;

/// <summary>The Diffie-Hellman arithmetic of the handshake (docs/protocol.md §5.4).</summary>
public static class DhExchange
{
    /// <summary>The size of dh_prime, g_a, g_b and auth_key in bytes.</summary>
    public const int Size = 256;

    /// <summary><c>g^x mod p</c> as 256 big-endian bytes: g_a for the server, g_b for the client.</summary>
    public static byte[] PublicValue(int g, BigInteger secret, BigInteger p) =>
        BigEndianInteger.ToBytes(ModularExponentiation.Compute(g, secret, p), Size);

    /// <summary><c>other^secret mod p</c> as 256 big-endian bytes: the auth_key.</summary>
    public static byte[] SharedKey(BigInteger otherPublic, BigInteger secret, BigInteger p) =>
        BigEndianInteger.ToBytes(ModularExponentiation.Compute(otherPublic, secret, p), Size);
}
