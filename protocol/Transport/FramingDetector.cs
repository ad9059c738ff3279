using System.Buffers.Binary;

namespace Testbed.Protocol.Transport;

/// <summary>
/// Tells a TCP or WebSocket connection's framing from its first bytes (docs/protocol.md §6): first whether it is
/// obfuscated (<see cref="IsObfuscated"/>), and if not, which plain framing it uses (<see cref="Detect"/>).
/// </summary>
public static class FramingDetector
{
    /// <summary>
    /// The first ints an obfuscated init must not start with (mtproto-transports, "Transport obfuscation"): the plain
    /// intermediate and padded markers, the starts of HTTP requests ("HEAD", "POST", "GET ", "OPTI") and of a TLS
    /// record (<c>16 03 01 02</c>), read little-endian.
    /// </summary>
    private static ReadOnlySpan<uint> ReservedFirstInts => [0x44414548, 0x54534f50, 0x20544547, 0x4954504f, 0xdddddddd, 0xeeeeeeee, 0x02010316];

    /// <summary>
    /// Whether the connection is obfuscated; null while it cannot tell (fewer than 8 bytes without a plain marker).
    /// A start is obfuscated unless it is one a client must avoid when it draws the init (<see cref="IsPlainStart"/>).
    /// That makes the two decidable: abridged opens with <c>ef</c>, intermediate and padded with their markers, and
    /// the full framing's first frame has sequence number 0 as its second int: each is a start no obfuscated init may have.
    /// </summary>
    public static bool? IsObfuscated(ReadOnlySpan<byte> start)
    {
        if (start.Length >= 1 && start[0] == 0xef)
        {
            return false;
        }

        if (start.Length >= 4 && ReservedFirstInts.Contains(BinaryPrimitives.ReadUInt32LittleEndian(start)))
        {
            return false;
        }

        return start.Length < 8 ? null : !IsPlainStart(start);
    }

    /// <summary>
    /// Whether the first 8 bytes of <paramref name="start"/> are ones an obfuscated init must not begin with: first
    /// byte <c>ef</c>, a reserved first int, or a second int of zero.
    /// </summary>
    public static bool IsPlainStart(ReadOnlySpan<byte> start)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(start.Length, 8, nameof(start));
        return start[0] == 0xef
            || ReservedFirstInts.Contains(BinaryPrimitives.ReadUInt32LittleEndian(start))
            || BinaryPrimitives.ReadUInt32LittleEndian(start[4..]) == 0;
    }

    /// <summary>The marker bytes a client sends before its first frame, per framing (empty for full).</summary>
    public static ReadOnlySpan<byte> Marker(TransportFraming framing) => framing switch
    {
        TransportFraming.Abridged => [0xef],
        TransportFraming.Intermediate => [0xee, 0xee, 0xee, 0xee],
        TransportFraming.PaddedIntermediate => [0xdd, 0xdd, 0xdd, 0xdd],
        _ => [],
    };

    /// <summary>
    /// Detects the framing from the connection's first bytes. Returns null while fewer than four bytes have arrived
    /// and the first byte is not the abridged marker. For the full framing nothing is consumed: its first bytes are
    /// already the first frame's length.
    /// </summary>
    /// <param name="start">The first bytes received.</param>
    /// <param name="markerLength">How many bytes the marker takes (to skip before the first frame).</param>
    public static TransportFraming? Detect(ReadOnlySpan<byte> start, out int markerLength)
    {
        markerLength = 0;
        if (start.Length >= 1 && start[0] == 0xef)
        {
            markerLength = 1;
            return TransportFraming.Abridged;
        }

        if (start.Length < 4)
        {
            return null;
        }

        foreach (TransportFraming framing in (ReadOnlySpan<TransportFraming>)[TransportFraming.Intermediate, TransportFraming.PaddedIntermediate])
        {
            if (start[..4].SequenceEqual(Marker(framing)))
            {
                markerLength = 4;
                return framing;
            }
        }

        return TransportFraming.Full;
    }
}
