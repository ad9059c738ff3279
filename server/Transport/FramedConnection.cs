using System.Buffers;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// One TCP or WebSocket connection's byte stream: detects the framing from the first bytes, cuts frames, hands each
/// payload to the <see cref="PacketProcessor"/> and frames the answers. Bytes wait in a <see cref="FrameBuffer"/> bounded
/// by about two frames of the allowed size. Not thread-safe: one per connection.
/// </summary>
internal sealed class FramedConnection(PacketProcessor processor, int maxPacketLength, PacketOrigin origin)
{
    private readonly FrameBuffer _buffer = new((2 * maxPacketLength) + 64);
    private FrameReader? _reader;
    private FrameWriter? _writer;

    /// <summary>Why the connection was closed, if it was.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Takes received bytes; writes any answers to <paramref name="output"/>. False: close the connection.</summary>
    public bool Receive(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (!_buffer.Append(data))
        {
            return Close($"more than {maxPacketLength} bytes buffered");
        }

        if (_reader is null && !Detect())
        {
            return CloseReason is null;
        }

        while (true)
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
            PacketResult result = processor.Process(payload, _reader.Framing == TransportFraming.PaddedIntermediate, origin);
            if (result.Response is not null || result.TransportError != 0)
            {
                _writer!.Write(result.Response ?? result.ErrorPayload(), output);
            }

            _buffer.Consume(frame.Consumed);
        }
    }

    private bool Detect()
    {
        TransportFraming? framing = FramingDetector.Detect(_buffer.Data, out int markerLength);
        if (framing is null)
        {
            return false;
        }

        _reader = new FrameReader(framing.Value, maxPacketLength);
        _writer = new FrameWriter(framing.Value);
        _buffer.Consume(markerLength);
        return true;
    }

    private bool Close(string reason)
    {
        CloseReason = reason;
        return false;
    }
}
