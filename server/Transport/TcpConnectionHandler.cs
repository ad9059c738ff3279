using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Testbed.Server.Transport;

/// <summary>
/// The MTProto TCP transport on Kestrel: every framing, detected per connection (docs/protocol.md §6). A read loop
/// feeds the <see cref="FramedConnection"/>; a writer loop drains the <see cref="StreamConnection"/>'s queue, which
/// carries both answers and packets pushed by other sessions' activity.
/// </summary>
internal sealed class TcpConnectionHandler(PacketProcessor processor, ServerSettings settings, SecurityEventLog events, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<TcpConnectionHandler> log, Faults.ServerBehaviour behaviour, ConnectionHeartbeat heartbeat,
    ConnectionTimeouts timeouts, Protocol.Transport.BufferBudget buffers)
    : ConnectionHandler
{
    private volatile bool _cutFrameSeen; // only under TransportViolations.CutFrameStopsServing

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (_cutFrameSeen)
        {
            connection.Abort();
            return;
        }

        var origin = new PacketOrigin("tcp", (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address);
        using var stream = new StreamConnection(origin, clock, timeouts, ConnectionAdmission.Of(connection.Items));
        using IDisposable watched = heartbeat.Track(stream, stream.Deadlines);
        using CancellationTokenRegistration peerGone = connection.ConnectionClosed.Register(() => stream.Close(null));
        using CancellationTokenRegistration stopping = lifetime.ApplicationStopping.Register(() => stream.Close(null)); // do not hold shutdown up
        using var framed = new FramedConnection(processor, settings.MaxPacketLength, stream, behaviour, buffers);
        Task writer = WriteAsync(stream, connection.Transport.Output, connection.ConnectionClosed);
        PipeReader input = connection.Transport.Input;
        try
        {
            while (stream.IsOpen)
            {
                ReadResult read = await input.ReadAsync(stream.Closed);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    if (!framed.Receive(segment.Span))
                    {
                        break;
                    }
                }

                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The peer went away, or the server closed the connection.
        }

        // Judged once the reading has ended, however it ended: the peer's close can cancel the read (ConnectionClosed)
        // before the completed read is seen, and the violation must not depend on which came first.
        _cutFrameSeen |= framed.MidFrame && behaviour.Violates(Faults.Violations.TransportViolations.CutFrameStopsServing);
        (bool drained, string? reason) = await stream.FinishAsync(writer, connection.Abort);
        if (drained)
        {
            // The server's side closes only now, after the reading has ended: a client that waits for that close knows
            // the server has seen everything it sent (TRN-008's violation is judged by what comes after).
            await connection.Transport.Output.CompleteAsync();
        }

        ConnectionEvents.Closed(events, log, origin, connection.ConnectionId, reason);
    }

    private static async Task WriteAsync(StreamConnection stream, PipeWriter output, CancellationToken closed)
    {
        try
        {
            // Drains what was queued before a server-side close too, so a final answer still reaches the client. The
            // output is completed by the handler, once the reading has ended too.
            await foreach (byte[] frame in stream.Outgoing.ReadAllAsync(CancellationToken.None))
            {
                await output.WriteAsync(frame, closed);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException or InvalidOperationException)
        {
            stream.Close(null);
        }
    }
}
