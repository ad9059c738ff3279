using System.Buffers;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// One TCP or WebSocket connection's byte stream: detects the framing from the first bytes, cuts frames, hands each
/// payload to the <see cref="PacketProcessor"/> and frames the answers. Bytes are copied into a buffer that never
/// holds more than one frame of the allowed size plus what arrived with it. Not thread-safe: one per connection.
/// </summary>
internal sealed class FramedConnection(PacketProcessor processor, int maxPacketLength, PacketOrigin origin)
{
    private byte[] _buffer = new byte[4096];
    private int _count;
    private FrameReader? _reader;
    private FrameWriter? _writer;

    /// <summary>Why the connection was closed, if it was.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Takes received bytes; writes any answers to <paramref name="output"/>. False: close the connection.</summary>
    public bool Receive(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (!Append(data))
        {
            return Close($"more than {maxPacketLength} bytes buffered");
        }

        if (_reader is null && !Detect())
        {
            return CloseReason is null;
        }

        while (true)
        {
            FrameReadResult frame = _reader!.TryRead(_buffer.AsSpan(0, _count));
            switch (frame.Status)
            {
                case FrameStatus.NeedMoreData:
                    return true;
                case FrameStatus.Error:
                    return Close($"framing error: {frame.Error}");
            }

            ReadOnlySpan<byte> payload = _buffer.AsSpan(frame.PayloadOffset, frame.PayloadLength);
            PacketResult result = processor.Process(payload, _reader.Framing == TransportFraming.PaddedIntermediate, origin);
            if (result.Response is not null || result.TransportError != 0)
            {
                _writer!.Write(result.Response ?? result.ErrorPayload(), output);
            }

            Consume(frame.Consumed);
        }
    }

    private bool Detect()
    {
        TransportFraming? framing = FramingDetector.Detect(_buffer.AsSpan(0, _count), out int markerLength);
        if (framing is null)
        {
            return false;
        }

        _reader = new FrameReader(framing.Value, maxPacketLength);
        _writer = new FrameWriter(framing.Value);
        Consume(markerLength);
        return true;
    }

    private bool Append(ReadOnlySpan<byte> data)
    {
        int needed = _count + data.Length;
        if (needed > (2 * maxPacketLength) + 64)
        {
            return false;
        }

        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }

        data.CopyTo(_buffer.AsSpan(_count));
        _count = needed;
        return true;
    }

    private void Consume(int length)
    {
        _buffer.AsSpan(length, _count - length).CopyTo(_buffer);
        _count -= length;
    }

    private bool Close(string reason)
    {
        CloseReason = reason;
        return false;
    }
}
