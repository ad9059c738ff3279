using System.Buffers;
using System.Net.WebSockets;

namespace Testbed.Server.Transport;

/// <summary>
/// The WebSocket transport at /apiws: binary messages carrying one of the TCP framings, the bytes of successive
/// messages forming one stream (docs/protocol.md §6). Browsers ask for the "binary" subprotocol.
/// </summary>
internal static class WebSocketTransport
{
    public static async Task HandleAsync(HttpContext context, PacketProcessor processor, ServerSettings settings, SecurityEventLog events,
        ILogger log)
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
        var framed = new FramedConnection(processor, settings.MaxPacketLength, origin);
        var answers = new ArrayBufferWriter<byte>();
        byte[] receive = new byte[64 * 1024];
        CancellationToken cancel = context.RequestAborted;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult message = await socket.ReceiveAsync(receive, cancel);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
                    return;
                }

                if (message.MessageType == WebSocketMessageType.Text)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "binary messages only", cancel);
                    return;
                }

                bool open = framed.Receive(receive.AsSpan(0, message.Count), answers);
                if (answers.WrittenCount > 0)
                {
                    await socket.SendAsync(answers.WrittenMemory, WebSocketMessageType.Binary, endOfMessage: true, cancel);
                    answers.ResetWrittenCount();
                }

                if (!open)
                {
                    ServerLog.ConnectionClosed(log, "WebSocket", context.TraceIdentifier, framed.CloseReason ?? "");
                    events.Write("connection_closed", new Dictionary<string, object?>
                    {
                        ["transport"] = origin.Transport, ["remote"] = origin.AddressText, ["reason"] = framed.CloseReason,
                    });
                    await socket.CloseAsync(WebSocketCloseStatus.ProtocolError, framed.CloseReason, cancel);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The peer went away.
        }
    }
}
