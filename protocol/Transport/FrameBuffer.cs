namespace Testbed.Protocol.Transport;

/// <summary>
/// Bytes received on a stream and not yet cut into frames. Grows as needed up to a limit, so a peer cannot make it
/// hold more than about one frame of the allowed size; consumed bytes are moved out at once. Not thread-safe.
/// </summary>
public sealed class FrameBuffer(int maxBufferedLength)
{
    private byte[] _buffer = new byte[4096];

    /// <summary>How many bytes are buffered.</summary>
    public int Count { get; private set; }

    /// <summary>The buffered bytes.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, Count);

    /// <summary>Appends received bytes; false (and nothing appended) if that would exceed the limit.</summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        int needed = Count + data.Length;
        if (needed > maxBufferedLength)
        {
            return false;
        }

        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(Math.Max(needed, _buffer.Length * 2), maxBufferedLength));
        }

        data.CopyTo(_buffer.AsSpan(Count));
        Count = needed;
        return true;
    }

    /// <summary>Cuts the next whole frame's payload out of the buffer; null while it is incomplete.</summary>
    /// <exception cref="InvalidDataException">The stream breaks <paramref name="reader"/>'s framing.</exception>
    public byte[]? TakeFrame(FrameReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        FrameReadResult frame = reader.TryRead(Data);
        switch (frame.Status)
        {
            case FrameStatus.Frame:
                ReadOnlySpan<byte> data = Data.Slice(frame.PayloadOffset, frame.PayloadLength);
                byte[] payload = (reader.Framing == TransportFraming.PaddedIntermediate ? data[..TransportPadding.UnpaddedLength(data)] : data).ToArray();
                Consume(frame.Consumed);
                return payload;
            case FrameStatus.Error:
                throw new InvalidDataException($"The {reader.Framing} framing is broken: {frame.Error}.");
            default:
                return null;
        }
    }

    /// <summary>Drops the first <paramref name="length"/> bytes.</summary>
    public void Consume(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Count);
        _buffer.AsSpan(length, Count - length).CopyTo(_buffer);
        Count -= length;
    }
}
