using Testbed.Protocol.Transport;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// The framing of one hostile connection, as the reference server reads it (docs/protocol.md §6, §6.1): obfuscated or
/// not is decided from the first bytes (<see cref="FramingDetector"/>), then the framing from the marker or the
/// obfuscated init's tag. Gives whole client packets and frames the server's. Not thread-safe for writes: the hostile
/// server serialises them.
/// </summary>
internal sealed class FramedChannel : IAsyncDisposable
{
    private readonly ByteChannel _channel;
    private readonly FrameBuffer _received = new(2 * FrameReader.DefaultMaxPayloadLength);
    private readonly byte[] _chunk = new byte[64 * 1024];
    private FrameReader? _reader;
    private FrameWriter? _writer;
    private ObfuscationCiphers? _ciphers;

    public FramedChannel(ByteChannel channel, byte[] start)
    {
        _channel = channel;
        _received.Append(start);
    }

    /// <summary>"tcp/intermediate", "ws/obfuscated-abridged" …: known once the first packet has been read.</summary>
    public string Name => $"{_channel.Transport}/{(_ciphers is null ? "" : "obfuscated-")}{FramingName(_reader?.Framing)}";

    /// <summary>The next whole packet from the client; null when the connection ended or broke the framing.</summary>
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel)
    {
        while (true)
        {
            if (_reader is not null || TryStart())
            {
                FrameReadResult frame = _reader!.TryRead(_received.Data);
                if (frame.Status == FrameStatus.Frame)
                {
                    ReadOnlySpan<byte> payload = _received.Data.Slice(frame.PayloadOffset, frame.PayloadLength);
                    byte[] packet = (_reader.Framing == TransportFraming.PaddedIntermediate
                        ? payload[..TransportPadding.UnpaddedLength(payload)] // the framing's random tail (§6)
                        : payload).ToArray();
                    _received.Consume(frame.Consumed);
                    return packet;
                }

                if (frame.Status == FrameStatus.Error)
                {
                    return null;
                }
            }

            int read = await _channel.ReadAsync(_chunk, cancel);
            if (read == 0)
            {
                return null;
            }

            _ciphers?.Receive.Transform(_chunk.AsSpan(0, read));
            if (!_received.Append(_chunk.AsSpan(0, read)))
            {
                return null;
            }
        }
    }

    /// <summary>Frames and sends one packet.</summary>
    public ValueTask SendAsync(ReadOnlySpan<byte> packet, CancellationToken cancel) =>
        SendRawAsync(_writer!.Frame(packet), cancel);

    /// <summary>Sends bytes as they are (through the obfuscation, if any): a frame header that lies, say.</summary>
    public ValueTask SendRawAsync(byte[] bytes, CancellationToken cancel)
    {
        _ciphers?.Send.Transform(bytes);
        return _channel.WriteAsync(bytes, cancel);
    }

    /// <summary>
    /// A frame header announcing the largest payload the framing can express (about 2 GiB; 64 MiB in abridged),
    /// followed by nothing: a client that allocates what a header announces allocates that.
    /// </summary>
    public byte[] OversizedHeader() => _writer!.Framing switch
    {
        TransportFraming.Abridged => [0x7f, 0xff, 0xff, 0xff],
        TransportFraming.Full => [0xfc, 0xff, 0xff, 0x7f, 0, 0, 0, 0],
        _ => [0xff, 0xff, 0xff, 0x7f],
    };

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        _ciphers?.Dispose();
        _received.Clear();
    }

    // Decides obfuscation and framing from the buffered start; true when it consumed the start and framing is known.
    private bool TryStart()
    {
        ReadOnlySpan<byte> start = _received.Data;
        bool? obfuscated = FramingDetector.IsObfuscated(start);
        TransportFraming? framing;
        if (obfuscated == true)
        {
            if (start.Length < ObfuscatedInit.Length)
            {
                return false;
            }

            byte[] header = start[..ObfuscatedInit.Length].ToArray(), init = new byte[ObfuscatedInit.Length];
            _ciphers = ObfuscatedInit.Open(header, init);
            framing = ObfuscatedInit.FramingOf(ObfuscatedInit.TagOf(init));
            byte[] rest = start[ObfuscatedInit.Length..].ToArray();
            _ciphers.Receive.Transform(rest);
            _received.Clear();
            _received.Append(rest);
            if (framing is null)
            {
                throw new IOException("the obfuscated init names no framing this server knows");
            }
        }
        else if (obfuscated == false)
        {
            framing = FramingDetector.Detect(start, out int marker);
            if (framing is null)
            {
                return false;
            }

            _received.Consume(marker);
        }
        else
        {
            return false;
        }

        _reader = new FrameReader(framing.Value);
        _writer = new FrameWriter(framing.Value);
        return true;
    }

    private static string FramingName(TransportFraming? framing) => framing switch
    {
        TransportFraming.Abridged => "abridged",
        TransportFraming.Intermediate => "intermediate",
        TransportFraming.PaddedIntermediate => "padded",
        TransportFraming.Full => "full",
        _ => "unknown",
    };
}
