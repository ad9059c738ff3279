using System.Buffers.Binary;
using System.IO.Hashing;

namespace Testbed.Protocol.Transport;

/// <summary>
/// Cuts one direction of a TCP (or WebSocket) byte stream into frames (docs/protocol.md §6). Reads the header first
/// and refuses a frame whose announced length is above the limit before any of its payload is buffered. One reader
/// per connection and direction (the full framing counts sequence numbers); not thread-safe.
/// </summary>
public sealed class FrameReader
{
    /// <summary>The default payload limit: 1 MiB.</summary>
    public const int DefaultMaxPayloadLength = 1 << 20;

    private const int FullOverhead = 12; // length, sequence number, CRC32
    private int _expectedSequence;

    /// <summary>Creates a reader for <paramref name="framing"/> (after its marker has been consumed).</summary>
    public FrameReader(TransportFraming framing, int maxPayloadLength = DefaultMaxPayloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadLength, 4);
        Framing = framing;
        MaxPayloadLength = maxPayloadLength;
    }

    /// <summary>The framing read.</summary>
    public TransportFraming Framing { get; }

    /// <summary>The largest payload accepted.</summary>
    public int MaxPayloadLength { get; }

    /// <summary>
    /// Looks for one whole frame at the start of <paramref name="buffer"/>. On <see cref="FrameStatus.Frame"/> the
    /// caller handles the payload and drops <see cref="FrameReadResult.Consumed"/> bytes; on
    /// <see cref="FrameStatus.NeedMoreData"/> it reads more (never more than the header announced); on
    /// <see cref="FrameStatus.Error"/> it closes the connection.
    /// </summary>
    public FrameReadResult TryRead(ReadOnlySpan<byte> buffer) => Framing switch
    {
        TransportFraming.Abridged => ReadAbridged(buffer),
        TransportFraming.Intermediate => ReadIntermediate(buffer, padded: false),
        TransportFraming.PaddedIntermediate => ReadIntermediate(buffer, padded: true),
        _ => ReadFull(buffer),
    };

    private FrameReadResult ReadAbridged(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < 1)
        {
            return FrameReadResult.NeedMore;
        }

        // The top bit of the first byte asks for a quick acknowledgement; it is not part of the length.
        int words = buffer[0] & 0x7f;
        int header = 1;
        if (words == 0x7f)
        {
            if (buffer.Length < 4)
            {
                return FrameReadResult.NeedMore;
            }

            words = buffer[1] | (buffer[2] << 8) | (buffer[3] << 16);
            header = 4;
        }

        return Payload(buffer, header, (long)words * 4, requireWords: true);
    }

    private FrameReadResult ReadIntermediate(ReadOnlySpan<byte> buffer, bool padded)
    {
        if (buffer.Length < 4)
        {
            return FrameReadResult.NeedMore;
        }

        // As in abridged, the top bit asks for a quick acknowledgement.
        int length = BinaryPrimitives.ReadInt32LittleEndian(buffer) & 0x7fff_ffff;
        return Payload(buffer, 4, length, requireWords: !padded);
    }

    private FrameReadResult ReadFull(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < 4)
        {
            return FrameReadResult.NeedMore;
        }

        int total = BinaryPrimitives.ReadInt32LittleEndian(buffer);
        if (total < FullOverhead + 4 || total % 4 != 0)
        {
            return FrameReadResult.Fail(FrameError.BadLength);
        }

        if (total - FullOverhead > MaxPayloadLength)
        {
            return FrameReadResult.Fail(FrameError.TooLarge);
        }

        if (buffer.Length < total)
        {
            return FrameReadResult.NeedMore;
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(buffer[4..]) != _expectedSequence)
        {
            return FrameReadResult.Fail(FrameError.BadSequenceNumber);
        }

        if (Crc32.HashToUInt32(buffer[..(total - 4)]) != BinaryPrimitives.ReadUInt32LittleEndian(buffer[(total - 4)..]))
        {
            return FrameReadResult.Fail(FrameError.BadChecksum);
        }

        _expectedSequence++;
        return FrameReadResult.Frame(total, 8, total - FullOverhead);
    }

    private FrameReadResult Payload(ReadOnlySpan<byte> buffer, int header, long length, bool requireWords)
    {
        if (length == 0 || (requireWords && length % 4 != 0))
        {
            return FrameReadResult.Fail(FrameError.BadLength);
        }

        if (length > MaxPayloadLength)
        {
            return FrameReadResult.Fail(FrameError.TooLarge);
        }

        return buffer.Length < header + length
            ? FrameReadResult.NeedMore
            : FrameReadResult.Frame(header + (int)length, header, (int)length);
    }
}
