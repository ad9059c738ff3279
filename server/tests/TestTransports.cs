using System.Buffers;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>A way to send one MTProto payload and receive the answer, on one of the server's transports.</summary>
public interface ITestTransport : IAsyncDisposable
{
    Task<byte[]> RoundTripAsync(byte[] payload);
}

/// <summary>TCP with a chosen framing.</summary>
public sealed class TcpTestTransport : ITestTransport
{
    private readonly TcpClient _client = new();
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;
    private readonly List<byte> _received = [];
    private NetworkStream _stream = null!;

    private TcpTestTransport(TransportFraming framing)
    {
        _writer = new FrameWriter(framing);
        _reader = new FrameReader(framing);
    }

    public static async Task<TcpTestTransport> ConnectAsync(int port, TransportFraming framing)
    {
        var transport = new TcpTestTransport(framing);
        await transport._client.ConnectAsync("127.0.0.1", port);
        transport._stream = transport._client.GetStream();
        await transport._stream.WriteAsync(FramingDetector.Marker(framing).ToArray());
        return transport;
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public async Task<byte[]> RoundTripAsync(byte[] payload)
    {
        await _stream.WriteAsync(_writer.Frame(payload));
        return await ReceiveAsync();
    }

    /// <summary>The next frame's payload, or null if the server closed the connection.</summary>
    public async Task<byte[]?> TryReceiveAsync()
    {
        byte[] chunk = new byte[65536];
        while (true)
        {
            byte[] buffered = _received.ToArray();
            FrameReadResult frame = _reader.TryRead(buffered);
            if (frame.Status == FrameStatus.Frame)
            {
                _received.RemoveRange(0, frame.Consumed);
                return buffered.AsSpan(frame.PayloadOffset, frame.PayloadLength).ToArray();
            }

            Assert.NotEqual(FrameStatus.Error, frame.Status);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int read = await _stream.ReadAsync(chunk, timeout.Token);
            if (read == 0)
            {
                return null;
            }

            _received.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await Task.CompletedTask;
    }

    private async Task<byte[]> ReceiveAsync() => await TryReceiveAsync() ?? throw new IOException("The server closed the connection.");
}

/// <summary>WebSocket at /apiws with the intermediate framing, one frame per binary message.</summary>
public sealed class WebSocketTestTransport : ITestTransport
{
    private readonly ClientWebSocket _socket = new();
    private readonly FrameWriter _writer = new(TransportFraming.Intermediate);
    private readonly FrameReader _reader = new(TransportFraming.Intermediate);
    private bool _markerSent;

    public static async Task<WebSocketTestTransport> ConnectAsync(int port)
    {
        var transport = new WebSocketTestTransport();
        transport._socket.Options.AddSubProtocol("binary");
        await transport._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/apiws"), CancellationToken.None);
        return transport;
    }

    public async Task<byte[]> RoundTripAsync(byte[] payload)
    {
        byte[] frame = _writer.Frame(payload);
        byte[] message = _markerSent ? frame : [.. FramingDetector.Marker(TransportFraming.Intermediate), .. frame];
        _markerSent = true;
        await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(received.GetMemory(65536), CancellationToken.None);
            received.Advance(result.Count);
            if (result.EndOfMessage)
            {
                break;
            }
        }

        FrameReadResult read = _reader.TryRead(received.WrittenSpan);
        Assert.Equal(FrameStatus.Frame, read.Status);
        return received.WrittenSpan.Slice(read.PayloadOffset, read.PayloadLength).ToArray();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>POST /api, one payload per request; a transport error comes back as the HTTP status.</summary>
public sealed class HttpTestTransport(Uri baseAddress) : ITestTransport
{
    private readonly HttpClient _client = new() { BaseAddress = baseAddress };

    public async Task<byte[]> RoundTripAsync(byte[] payload)
    {
        (int status, byte[] body) = await PostAsync(payload);
        Assert.True(status == 200, $"HTTP {status}");
        return body;
    }

    public async Task<(int Status, byte[] Body)> PostAsync(byte[] payload)
    {
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using HttpResponseMessage response = await _client.PostAsync(new Uri("/api", UriKind.Relative), content);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
