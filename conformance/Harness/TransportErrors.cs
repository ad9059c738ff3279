using System.Buffers.Binary;

namespace Testbed.Conformance.Harness;

/// <summary>
/// MTProto transport errors (docs/protocol.md §6): a 4-byte packet holding a negative code, little-endian. Evidence
/// names them, so that 53FEFFFF reads "transport error -429 (too many requests)".
/// </summary>
internal static class TransportErrors
{
    public const int RateLimited = -429;

    /// <summary>The code a packet carries, if it is a transport error.</summary>
    public static int? Read(ReadOnlySpan<byte> packet) =>
        packet.Length == 4 && BinaryPrimitives.ReadInt32LittleEndian(packet) is < 0 and var code ? code : null;

    /// <summary>"transport error -404 (no such auth key or a bad query)" and the like.</summary>
    public static string Describe(int code) => code switch
    {
        -404 => "transport error -404 (no such auth key, or a refused message or query)",
        -429 => "transport error -429 (too many requests: the target's rate limit)",
        -444 => "transport error -444 (invalid data centre)",
        _ => $"transport error {code}",
    };

    /// <summary>A packet for evidence: the transport error it holds, or its length and first bytes.</summary>
    public static string DescribePacket(byte[]? packet) => packet switch
    {
        null => "none",
        _ when Read(packet) is int code => Describe(code),
        _ => $"{packet.Length} bytes ({Convert.ToHexString(packet.AsSpan(0, Math.Min(packet.Length, 16)))}{(packet.Length > 16 ? "…" : "")})",
    };
}
