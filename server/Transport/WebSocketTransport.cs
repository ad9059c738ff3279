using System.Net.WebSockets;

namespace Testbed.Server.Transport;

/// <summary>
/// The WebSocket transport at /apiws: binary messages carrying one of the TCP framings, the bytes of successive
/// messages forming one stream (docs/protocol.md §6); each packet the server sends is one binary message. Browsers
/// ask for the "binary" subprotocol.
/// </summary>
internal static class WebSocketTransport
{
    /// <summary>What one read takes from the socket: rented for the connection's life, so a small size keeps idle connections cheap.</summary>
    private const int ReceiveSize = 16 * 1024;

    public static async Task HandleAsync(HttpContext context, PacketProcessor processor, ServerSettings settings, SecurityEventLog events,
        TimeProvider clock, ILogger log)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket only.", context.RequestAborted);
            return;
        }

        string? subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains("binary") ? "binary" : null;
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        var origin = new PacketOrigin("websocket", context.Connection.RemoteIpAddress);
        IServiceProvider services = context.RequestServices;
        using var stream = new StreamConnection(origin, clock, services.GetRequiredService<ConnectionTimeouts>(),
            ConnectionAdmission.Of(context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items));
        using IDisposable watched = services.GetRequiredService<ConnectionHeartbeat>().Track(stream, stream.Deadlines);
        using CancellationTokenRegistration peerGone = context.RequestAborted.Register(() => stream.Close(null));
        using CancellationTokenRegistration stopping = services.GetRequiredService<IHostApplicationLifetime>()
            .ApplicationStopping.Register(() => stream.Close(null)); // do not hold shutdown up
        Faults.ServerBehaviour behaviour = services.GetRequiredService<Faults.ServerBehaviour>();
        using var framed = new FramedConnection(processor, settings.MaxPacketLength, stream, behaviour, services.GetRequiredService<Protocol.Transport.BufferBudget>());
        Task writer = WriteAsync(socket, stream, context.RequestAborted);
        byte[] receive = System.Buffers.ArrayPool<byte>.Shared.Rent(ReceiveSize);
        try
        {
            while (stream.IsOpen && socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult message = await socket.ReceiveAsync(receive, stream.Closed);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (message.MessageType == WebSocketMessageType.Text)
                {
                    if (behaviour.Violates(Faults.Violations.TransportViolations.TextMessageIgnored))
                    {
                        continue;
                    }

                    stream.Close("a text message: binary messages only");
                    break;
                }

                if (!framed.Receive(receive.AsSpan(0, message.Count)))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The peer went away, or the server closed the connection.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(receive);
        }

        (bool drained, string? reason) = await stream.FinishAsync(writer, context.Abort);
        if (!drained)
        {
            return;
        }

        await CloseSocketAsync(socket, reason);
        ConnectionEvents.Closed(events, log, origin, context.TraceIdentifier, reason);
    }

    private static async Task WriteAsync(WebSocket socket, StreamConnection stream, CancellationToken aborted)
    {
        try
        {
            await foreach (byte[] frame in stream.Outgoing.ReadAllAsync(CancellationToken.None))
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, aborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            stream.Close(null);
        }
    }

    private static async Task CloseSocketAsync(WebSocket socket, string? reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            WebSocketCloseStatus status = reason is null ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.ProtocolError;
            await socket.CloseAsync(status, reason is null ? null : Truncate(reason), timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // Closing is best effort: the peer may already be gone.
        }
    }

    // A close frame's reason holds at most 123 bytes of UTF-8.
    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];
}
