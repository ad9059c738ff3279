using Testbed.Protocol.Client;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>A way to send one MTProto payload and receive the answer, on one of the server's transports.</summary>
public interface ITestTransport : IAsyncDisposable
{
    Task<byte[]> RoundTripAsync(byte[] payload);
}

/// <summary>A library transport used request-and-answer style.</summary>
public class TestTransport(IPacketTransport inner) : ITestTransport
{
    public IPacketTransport Inner => inner;

    public async Task<byte[]> RoundTripAsync(byte[] payload)
    {
        await inner.SendAsync(payload);
        return await TryReceiveAsync() ?? throw new IOException("The server closed the connection.");
    }

    /// <summary>The next packet, or null if the server closed the connection (30 s at most).</summary>
    public async Task<byte[]?> TryReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await inner.ReceiveAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>TCP with a chosen framing.</summary>
public sealed class TcpTestTransport(TcpPacketTransport inner) : TestTransport(inner)
{
    public static async Task<TcpTestTransport> ConnectAsync(int port, TransportFraming framing) =>
        new(await TcpPacketTransport.ConnectAsync("127.0.0.1", port, framing));

    public Task SendRawAsync(byte[] bytes) => inner.SendRawAsync(bytes);
}

/// <summary>WebSocket at /apiws with the intermediate framing.</summary>
public static class WebSocketTestTransport
{
    public static async Task<TestTransport> ConnectAsync(int port) =>
        new(await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/apiws")));
}

/// <summary>POST /api, one payload per request; a transport error comes back as the HTTP status.</summary>
public sealed class HttpTestTransport(Uri baseAddress) : TestTransport(new HttpPacketTransport(new Uri(baseAddress, "/api")))
{
    public async Task<(int Status, byte[] Body)> PostAsync(byte[] payload)
    {
        var http = (HttpPacketTransport)Inner;
        await http.SendAsync(payload);
        return (http.LastStatus, await http.ReceiveAsync() ?? []);
    }
}
