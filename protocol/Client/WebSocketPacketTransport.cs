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
    private readonly ClientFraming _framing;

    // What one read takes from the socket; one reader at a time (the client's receive loop), so one buffer serves
    // every read instead of 64 KiB allocated per packet.
    private readonly byte[] _chunk = new byte[64 * 1024];
    private bool _openingSent;

    private WebSocketPacketTransport(TransportFraming framing, TransportObfuscation? obfuscation, int maxPacketLength)
    {
        _framing = new ClientFraming(framing, obfuscation, maxPacketLength, bufferSlack: 64 * 1024);
    }

    /// <summary>
    /// Opens the WebSocket. With <paramref name="obfuscation"/>, the first message starts with an obfuscated init
    /// header naming the framing, and every message after it carries the next piece of the encrypted stream
    /// (docs/protocol.md §6.1), as the transports page asks of WebSocket clients.
    /// </summary>
    public static async Task<WebSocketPacketTransport> ConnectAsync(Uri uri, TransportFraming framing = TransportFraming.Intermediate,
        int maxPacketLength = FrameReader.DefaultMaxPayloadLength, TransportObfuscation? obfuscation = null, CancellationToken cancel = default)
    {
        var transport = new WebSocketPacketTransport(framing, obfuscation, maxPacketLength);
        transport._socket.Options.AddSubProtocol("binary");
        await transport._socket.ConnectAsync(uri, cancel).ConfigureAwait(false);
        return transport;
    }

    /// <inheritdoc />
    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        byte[] frame = _framing.Frame(packet.Span);
        byte[] message = _openingSent ? frame : [.. _framing.Opening, .. frame];
        _openingSent = true;
        await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancel).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The server's framing is broken.</exception>
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default)
    {
        while (true)
        {
            if (_framing.TakeFrame() is { } payload)
            {
                return payload;
            }

            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(_chunk.AsMemory(), cancel).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            if (!_framing.Append(_chunk.AsSpan(0, result.Count)))
            {
                throw new InvalidDataException("The server sent more than a frame's worth of bytes without completing one.");
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _framing.Dispose();
        return ValueTask.CompletedTask;
    }
}
