using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;

namespace Testbed.Soak;

/// <summary>
/// WebSocket connections to /apiws from an attacker address: the HTTP handler's connect callback binds the socket
/// before connecting, the only way to choose the source address of a <see cref="ClientWebSocket"/>.
/// </summary>
internal sealed class AttackWebSockets : IDisposable
{
    private readonly ConcurrentDictionary<IPAddress, HttpMessageInvoker> _invokers = new();

    /// <summary>An open WebSocket from <paramref name="from"/>, or null when the server does not take it within 5 s.</summary>
    public async Task<ClientWebSocket?> ConnectAsync(IPAddress from, int httpPort, CancellationToken cancel)
    {
        var socket = new ClientWebSocket();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{httpPort}/apiws"), _invokers.GetOrAdd(from, Invoker), timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Reads (and drops) messages until the server closes the WebSocket or the connection.</summary>
    public static async Task UntilClosedAsync(ClientWebSocket socket)
    {
        byte[] buffer = new byte[4096];
        while (socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        foreach (HttpMessageInvoker invoker in _invokers.Values)
        {
            invoker.Dispose();
        }
    }

    private static HttpMessageInvoker Invoker(IPAddress from) => new(LoopbackHandler.From(from));
}
