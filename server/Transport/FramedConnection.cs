using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// The receiving half of one TCP or WebSocket connection: detects the framing from the first bytes, cuts frames and
/// hands each payload to the <see cref="PacketProcessor"/>, whose answers go out through the
/// <see cref="StreamConnection"/>. Bytes wait in a <see cref="FrameBuffer"/> bounded by about two frames of the allowed
/// size. Not thread-safe: one per connection, fed by its read loop.
/// </summary>
internal sealed class FramedConnection(PacketProcessor processor, int maxPacketLength, StreamConnection connection, Faults.ServerBehaviour behaviour)
{
    private readonly FrameBuffer _buffer = new((2 * maxPacketLength) + 64);
    private FrameReader? _reader;

    /// <summary>Takes received bytes. False: the connection must be closed (the reason is on the connection).</summary>
    public bool Receive(ReadOnlySpan<byte> data)
    {
        if (!_buffer.Append(data))
        {
            return Close($"more than {maxPacketLength} bytes buffered");
        }

        if (_reader is null && !Detect())
        {
            return true; // fewer than four bytes so far
        }

        while (connection.IsOpen)
        {
            FrameReadResult frame = _reader!.TryRead(_buffer.Data);
            switch (frame.Status)
            {
                case FrameStatus.NeedMoreData:
                    return true;
                case FrameStatus.Error:
                    return Close($"framing error: {frame.Error}");
            }

            ReadOnlySpan<byte> payload = _buffer.Data.Slice(frame.PayloadOffset, frame.PayloadLength);
            bool padded = _reader.Framing == TransportFraming.PaddedIntermediate;
            processor.Process(padded ? payload[..TransportPadding.UnpaddedLength(payload)] : payload, padded, connection);
            _buffer.Consume(frame.Consumed);
        }

        return false;
    }

    private bool Detect()
    {
        TransportFraming? framing = FramingDetector.Detect(_buffer.Data, out int markerLength);
        if (framing is null)
        {
            return false;
        }

        _reader = new FrameReader(framing.Value, maxPacketLength);
        connection.UseFraming(framing.Value);
        _buffer.Consume(markerLength);
        if (behaviour.Violates(Faults.Violations.TransportViolations.Refusing(framing.Value)))
        {
            connection.Close($"violation: the {framing.Value} framing refused");
        }

        return true;
    }

    /// <summary>Whether part of a frame is buffered (after the framing was detected).</summary>
    public bool MidFrame => _reader is not null && _buffer.Count > 0;

    private bool Close(string reason)
    {
        connection.Close(reason);
        return false;
    }
}
