namespace Testbed.Protocol.Transport;

/// <summary>Tells a TCP connection's framing from its first bytes (docs/protocol.md §6).</summary>
public static class FramingDetector
{
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
