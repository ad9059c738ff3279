using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// The receiving half of one TCP or WebSocket connection: detects the framing from the first bytes, cuts frames and
/// hands each payload to the <see cref="PacketProcessor"/>, whose answers go out through the
/// <see cref="StreamConnection"/>. Whole frames are cut straight from the bytes as they arrive; only an incomplete
/// frame's bytes wait, in a pooled <see cref="FrameBuffer"/> bounded by about two frames of the allowed size and by the
/// server's <see cref="BufferBudget"/> for all connections. Reports bytes and packets to the connection's
/// <see cref="ConnectionDeadlines"/>. Not thread-safe: one per connection, fed by its read loop; disposing it gives the
/// buffer back.
/// </summary>
internal sealed class FramedConnection(PacketProcessor processor, int maxPacketLength, StreamConnection connection, Faults.ServerBehaviour behaviour,
    BufferBudget budget) : IDisposable
{
    private readonly FrameBuffer _buffer = new((2 * maxPacketLength) + 64, budget);
    private FrameReader? _reader;

    /// <summary>Takes received bytes. False: the connection must be closed (the reason is on the connection).</summary>
    public bool Receive(ReadOnlySpan<byte> data)
    {
        bool open = _buffer.Count == 0 ? CutFromArrival(data) : Append(data) && CutFromBuffer();
        connection.Deadlines.BytesReceived(data.Length, midFrame: _buffer.Count > 0, ConnectionDeadlines.Now);
        return open;
    }

    /// <summary>Whether part of a frame is buffered (after the framing was detected).</summary>
    public bool MidFrame => _reader is not null && _buffer.Count > 0;

    /// <summary>Nothing buffered: frames are cut from the received bytes, and only a trailing incomplete one is kept.</summary>
    private bool CutFromArrival(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        return CutFrames(data, ref offset) && (offset == data.Length || Append(data[offset..]));
    }

    private bool CutFromBuffer()
    {
        int offset = 0;
        bool open = CutFrames(_buffer.Data, ref offset);
        _buffer.Consume(offset);
        return open;
    }

    /// <summary>Detects the framing if not yet known, then processes every whole frame from <paramref name="offset"/> on.</summary>
    private bool CutFrames(ReadOnlySpan<byte> bytes, ref int offset)
    {
        if (_reader is null)
        {
            if (FramingDetector.Detect(bytes, out int markerLength) is not { } framing)
            {
                return true; // fewer than four bytes so far
            }

            StartFraming(framing);
            offset = markerLength;
        }

        while (connection.IsOpen)
        {
            FrameReadResult frame = _reader!.TryRead(bytes[offset..]);
            switch (frame.Status)
            {
                case FrameStatus.NeedMoreData:
                    return true;
                case FrameStatus.Error:
                    return Close($"framing error: {frame.Error}");
            }

            ReadOnlySpan<byte> payload = bytes.Slice(offset + frame.PayloadOffset, frame.PayloadLength);
            bool padded = _reader.Framing == TransportFraming.PaddedIntermediate;
            connection.Deadlines.PacketReceived(ConnectionDeadlines.Now);
            processor.Process(padded ? payload[..TransportPadding.UnpaddedLength(payload)] : payload, padded, connection);
            offset += frame.Consumed;
        }

        return false;
    }

    private void StartFraming(TransportFraming framing)
    {
        _reader = new FrameReader(framing, maxPacketLength);
        connection.UseFraming(framing);
        if (behaviour.Violates(Faults.Violations.TransportViolations.Refusing(framing)))
        {
            connection.Close($"violation: the {framing} framing refused");
        }
    }

    private bool Append(ReadOnlySpan<byte> data) =>
        _buffer.Append(data) || Close(_buffer.WouldPassLimit(data.Length)
            ? $"more than {maxPacketLength} bytes buffered"
            : $"the {budget.Limit} bytes all connections may hold in incomplete frames are taken");

    private bool Close(string reason)
    {
        connection.Close(reason);
        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Clear();
}
