using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Testbed.Server.Transport;

/// <summary>The MTProto TCP transport on Kestrel: every framing, detected per connection (docs/protocol.md §6).</summary>
internal sealed class TcpConnectionHandler(PacketProcessor processor, ServerSettings settings, SecurityEventLog events,
    ILogger<TcpConnectionHandler> log)
    : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var origin = new PacketOrigin("tcp", (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address);
        var framed = new FramedConnection(processor, settings.MaxPacketLength, origin);
        var answers = new ArrayBufferWriter<byte>();
        PipeReader input = connection.Transport.Input;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(connection.ConnectionClosed);
                bool open = true;
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    open = framed.Receive(segment.Span, answers);
                    if (!open)
                    {
                        break;
                    }
                }

                input.AdvanceTo(read.Buffer.End);
                if (answers.WrittenCount > 0)
                {
                    await connection.Transport.Output.WriteAsync(answers.WrittenMemory, connection.ConnectionClosed);
                    answers.ResetWrittenCount();
                }

                if (!open || read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The peer went away.
        }

        if (framed.CloseReason is { } reason)
        {
            ServerLog.ConnectionClosed(log, "TCP", connection.ConnectionId, reason);
            events.Write("connection_closed", new Dictionary<string, object?>
            {
                ["transport"] = origin.Transport, ["remote"] = origin.AddressText, ["reason"] = reason,
            });
        }
    }
}
