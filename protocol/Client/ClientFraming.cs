using Testbed.Protocol.Transport;

namespace Testbed.Protocol.Client;

/// <summary>
/// One client connection's byte stream, whatever carries it (TCP, WebSocket): the opening bytes (the plain framing's
/// marker, or an obfuscated init header: docs/protocol.md §6.1), frames out, frames in. On an obfuscated connection
/// everything after the header goes through the two AES-256-CTR streams, whose keys are zeroed on dispose.
/// Not thread-safe: one sender and one receiver, each serialised by its transport.
/// </summary>
internal sealed class ClientFraming : IDisposable
{
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;
    private readonly FrameBuffer _received;
    private readonly ObfuscationCiphers? _ciphers;

    /// <param name="framing">The framing (the inner one when obfuscated).</param>
    /// <param name="obfuscation">Obfuscate the connection, when given.</param>
    /// <param name="maxPacketLength">The largest packet accepted from the server.</param>
    /// <param name="bufferSlack">Bytes the receive buffer holds beyond two packets (what one read may bring).</param>
    public ClientFraming(TransportFraming framing, TransportObfuscation? obfuscation, int maxPacketLength, int bufferSlack)
    {
        _writer = new FrameWriter(framing);
        _reader = new FrameReader(framing, maxPacketLength);
        _received = new FrameBuffer((2 * maxPacketLength) + bufferSlack);
        if (obfuscation is null)
        {
            Opening = FramingDetector.Marker(framing).ToArray();
            return;
        }

        Opening = new byte[ObfuscatedInit.Length];
        _ciphers = ObfuscatedInit.Create(framing, obfuscation.DataCenter, Opening);
    }

    /// <summary>What the client sends before its first frame.</summary>
    public byte[] Opening { get; }

    /// <summary>Frames <paramref name="payload"/> (and encrypts the frame when obfuscated).</summary>
    public byte[] Frame(ReadOnlySpan<byte> payload)
    {
        byte[] frame = _writer.Frame(payload);
        _ciphers?.Send.Transform(frame);
        return frame;
    }

    /// <summary>Takes bytes read from the server (decrypting them in place when obfuscated); false past the buffer's limit.</summary>
    public bool Append(Span<byte> received)
    {
        _ciphers?.Receive.Transform(received);
        return _received.Append(received);
    }

    /// <summary>The next whole packet received, or null while it is incomplete.</summary>
    /// <exception cref="InvalidDataException">The server's framing is broken.</exception>
    public byte[]? TakeFrame() => _received.TakeFrame(_reader);

    /// <inheritdoc />
    public void Dispose()
    {
        _received.Clear();
        _ciphers?.Dispose();
    }
}
