using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// The receiving half of one TCP or WebSocket connection: detects the framing from the first bytes (and, for an
/// obfuscated connection, decrypts what follows its init header: docs/protocol.md §6.1), cuts frames and
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
    /// <summary>How much of an obfuscated connection's bytes is decrypted at a time, on the stack.</summary>
    private const int DecryptChunk = 4096;

    private readonly FrameBuffer _buffer = new((2 * maxPacketLength) + 64, budget);
    private FrameReader? _reader;
    private Protocol.Crypto.AesCtr? _receive; // an obfuscated connection's decrypting stream

    /// <summary>Takes received bytes. False: the connection must be closed (the reason is on the connection).</summary>
    public bool Receive(ReadOnlySpan<byte> data)
    {
        bool open = _reader is null ? Start(data) : _receive is null ? Feed(data) : FeedDecrypted(data);
        connection.Deadlines.BytesReceived(data.Length, midFrame: _buffer.Count > 0, ConnectionDeadlines.Now);
        return open;
    }

    /// <summary>Whether part of a frame is buffered (after the framing was detected).</summary>
    public bool MidFrame => _reader is not null && _buffer.Count > 0;

    /// <summary>
    /// Before the framing is known: the first bytes wait in the buffer (at most an obfuscated init's 64) until they
    /// tell an obfuscated connection from a plain one, and a plain one's framing (docs/protocol.md §6.1).
    /// </summary>
    private bool Start(ReadOnlySpan<byte> data)
    {
        int buffered = _buffer.Count;
        Span<byte> start = stackalloc byte[ObfuscatedInit.Length];
        _buffer.Data.CopyTo(start);
        int known = buffered + Math.Min(data.Length, ObfuscatedInit.Length - buffered);
        data[..(known - buffered)].CopyTo(start[buffered..]);
        if (ObfuscationSeen(start[..known]) is not { } obfuscated || (obfuscated && known < ObfuscatedInit.Length))
        {
            return Append(data);
        }

        if (obfuscated)
        {
            _buffer.Clear();
            return StartObfuscated(start) && FeedDecrypted(data[(known - buffered)..]);
        }

        TransportFraming framing = FramingDetector.Detect(start[..known], out int markerLength)!.Value; // four bytes at least
        StartFraming(framing);
        if (markerLength >= buffered)
        {
            // The usual case: nothing waited, so frames are cut straight from the arrival, and a connection needs no
            // buffer (nor any of the shared budget) unless a frame of its own is incomplete. Cutting the first 64 bytes
            // apart made every first packet longer than that wait in the buffer: with the budget taken by stalled
            // frames, no new client got its first packet in (the soak suite's stalled-frames victim).
            _buffer.Clear();
            return Feed(data[(markerLength - buffered)..]);
        }

        _buffer.Consume(markerLength); // the start came in pieces: the few bytes after the marker wait, and the rest joins them
        return Feed(data);
    }

    /// <summary>Whether the start is obfuscated, as <see cref="FramingDetector.IsObfuscated"/> says (or, under a violation, without its second-int rule).</summary>
    private bool? ObfuscationSeen(ReadOnlySpan<byte> start) =>
        behaviour.Violates(Faults.Violations.TransportViolations.FullReadAsObfuscated) && FramingDetector.Detect(start, out _) == TransportFraming.Full
            ? true
            : FramingDetector.IsObfuscated(start);

    /// <summary>Reads the init header: the inner framing from its tag, and the streams; an unknown tag closes the connection.</summary>
    private bool StartObfuscated(ReadOnlySpan<byte> header)
    {
        Span<byte> init = stackalloc byte[ObfuscatedInit.Length];
        ObfuscationCiphers ciphers = ObfuscatedInit.Open(header, init);
        TransportFraming? framing = ObfuscatedInit.FramingOf(ObfuscatedInit.TagOf(init));
        string tag = Convert.ToHexString(ObfuscatedInit.TagOf(init));
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(init);
        if (framing is null && !behaviour.Violates(Faults.Violations.TransportViolations.UnknownObfuscationTagServed))
        {
            ciphers.Dispose();
            return Close($"obfuscated init with an unknown protocol tag {tag}");
        }

        _receive = ciphers.Receive;
        StartFraming(framing ?? TransportFraming.Intermediate, ciphers.Send);
        return connection.IsOpen;
    }

    /// <summary>Decrypts an obfuscated connection's bytes a stack chunk at a time and cuts frames from the plaintext.</summary>
    private bool FeedDecrypted(ReadOnlySpan<byte> data)
    {
        Span<byte> plain = stackalloc byte[DecryptChunk];
        for (int offset = 0; offset < data.Length; offset += DecryptChunk)
        {
            ReadOnlySpan<byte> chunk = data.Slice(offset, Math.Min(DecryptChunk, data.Length - offset));
            _receive!.Transform(chunk, plain);
            if (!Feed(plain[..chunk.Length]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Plain bytes of a known framing: cut from the arrival when nothing waits, else through the buffer.</summary>
    private bool Feed(ReadOnlySpan<byte> data) =>
        data.IsEmpty || (_buffer.Count == 0 ? CutFromArrival(data) : Append(data) && CutFromBuffer());

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

    /// <summary>Processes every whole frame from <paramref name="offset"/> on.</summary>
    private bool CutFrames(ReadOnlySpan<byte> bytes, ref int offset)
    {
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

    private void StartFraming(TransportFraming framing, Protocol.Crypto.AesCtr? send = null)
    {
        _reader = new FrameReader(framing, maxPacketLength);
        connection.UseFraming(framing, send);
        if (behaviour.Violates(Faults.Violations.TransportViolations.Refusing(framing, obfuscated: send is not null)))
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
    public void Dispose()
    {
        _buffer.Clear();
        _receive?.Dispose();
    }
}
