using System.Buffers;
using System.Net.WebSockets;
using Testbed.Protocol.Transport;

namespace Testbed.Protocol.Client;

/// <summary>
/// The WebSocket transport (/apiws): binary messages carrying a TCP framing (intermediate by default), each frame
/// sent in a message of its own, the "binary" subprotocol requested as browsers do.
/// </summary>
public sealed class WebSocketPacketTransport : IPacketTransport
{
    private readonly ClientWebSocket _socket = new();
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;
    private readonly TransportFraming _framing;
    private readonly FrameBuffer _received;
    private bool _markerSent;

    private WebSocketPacketTransport(TransportFraming framing, int maxPacketLength)
    {
        _framing = framing;
        _writer = new FrameWriter(framing);
        _reader = new FrameReader(framing, maxPacketLength);
        _received = new FrameBuffer((2 * maxPacketLength) + (64 * 1024));
    }

    /// <summary>Opens the WebSocket.</summary>
    public static async Task<WebSocketPacketTransport> ConnectAsync(Uri uri, TransportFraming framing = TransportFraming.Intermediate,
        int maxPacketLength = FrameReader.DefaultMaxPayloadLength, CancellationToken cancel = default)
    {
        var transport = new WebSocketPacketTransport(framing, maxPacketLength);
        transport._socket.Options.AddSubProtocol("binary");
        await transport._socket.ConnectAsync(uri, cancel).ConfigureAwait(false);
        return transport;
    }

    /// <inheritdoc />
    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        byte[] frame = _writer.Frame(packet.Span);
        byte[] message = _markerSent ? frame : [.. FramingDetector.Marker(_framing), .. frame];
        _markerSent = true;
        await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancel).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The server's framing is broken.</exception>
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            if (_received.TakeFrame(_reader) is { } payload)
            {
                return payload;
            }

            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.GetMemory(64 * 1024), cancel).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Advance(result.Count);
            if (!_received.Append(buffer.WrittenSpan))
            {
                throw new InvalidDataException("The server sent more than a frame's worth of bytes without completing one.");
            }

            buffer.ResetWrittenCount();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
