using System.Buffers;

namespace Testbed.Protocol.Transport;

/// <summary>
/// Bytes received on a stream and not yet cut into frames. Memory follows the bytes that actually arrived, never the
/// length a frame announces: an array is taken when the first byte waits, grows (doubling) only as data comes, and is
/// given back as soon as the buffer is empty again, so an idle connection holds none. Arrays up to
/// <see cref="LargestPooled"/> come from and go back to the shared pool; larger ones are left to the garbage
/// collector, which gives their memory back to the system, where the pool would keep them for a minute or more after
/// an attack (the soak suite saw RSS stay at twice its baseline after stalled 1 MiB frames). Bounded per buffer by
/// <c>maxBufferedLength</c> and, optionally, across buffers by a <see cref="BufferBudget"/> charged with the arrays'
/// lengths. Not thread-safe.
/// </summary>
public sealed class FrameBuffer(int maxBufferedLength, BufferBudget? budget = null)
{
    /// <summary>The largest array taken from the shared pool: 64 KiB, above any ordinary packet.</summary>
    public const int LargestPooled = 64 * 1024;

    private byte[] _buffer = [];

    /// <summary>How many bytes are buffered.</summary>
    public int Count { get; private set; }

    /// <summary>The length of the array held now (0 when empty): what the buffer costs in memory.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The buffered bytes.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, Count);

    /// <summary>
    /// Appends received bytes; false (and nothing appended) if that would pass the buffer's limit or, for a larger
    /// array, the shared budget (<see cref="WouldPassLimit"/> tells which).
    /// </summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        int needed = Count + data.Length;
        if (needed > maxBufferedLength)
        {
            return false;
        }

        if (needed > _buffer.Length && !Grow(needed))
        {
            return false;
        }

        data.CopyTo(_buffer.AsSpan(Count));
        Count = needed;
        return true;
    }

    /// <summary>Whether appending <paramref name="length"/> more bytes passes this buffer's own limit.</summary>
    public bool WouldPassLimit(int length) => Count + length > maxBufferedLength;

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

    /// <summary>Drops the first <paramref name="length"/> bytes; the array goes back to the pool once none are left.</summary>
    public void Consume(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Count);
        _buffer.AsSpan(length, Count - length).CopyTo(_buffer);
        Count -= length;
        if (Count == 0)
        {
            Release();
        }
    }

    /// <summary>Drops everything buffered and gives the array back (when the connection ends mid-frame).</summary>
    public void Clear()
    {
        Count = 0;
        Release();
    }

    private bool Grow(int needed)
    {
        int length = Math.Max(Math.Max(needed, Math.Min(2 * _buffer.Length, maxBufferedLength)), 4096);
        byte[] larger = length <= LargestPooled ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
        if (budget is not null && !budget.TryTake(larger.Length - _buffer.Length))
        {
            ReturnArray(larger);
            return false;
        }

        Data.CopyTo(larger);
        ReturnArray(_buffer);
        _buffer = larger;
        return true;
    }

    private void Release()
    {
        budget?.Give(_buffer.Length);
        ReturnArray(_buffer);
        _buffer = [];
    }

    private static void ReturnArray(byte[] array)
    {
        if (array.Length is > 0 and <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
