using System.Numerics;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The Diffie-Hellman group real MTProto servers send: the widely used published 2048-bit safe prime with g = 3
/// (it appears in the public auth-key worked example; docs/protocol.md §5.4).
/// </summary>
public static class DhGroup
{
    /// <summary>g.</summary>
    public const int PublishedGenerator = 3;

    private static readonly byte[] PrimeBytes = Convert.FromHexString(
        "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37"
        + "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9"
        + "a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b"
        + "9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b");

    /// <summary>dh_prime as the 256 big-endian bytes the wire carries.</summary>
    public static ReadOnlySpan<byte> PublishedPrimeBytes => PrimeBytes;

    /// <summary>dh_prime.</summary>
    public static BigInteger PublishedPrime { get; } = BigEndianInteger.Read(PrimeBytes);
}
