using System.Buffers.Binary;
using System.Net.Sockets;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Transport;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>Transports (docs/protocol.md §6) and robustness.</summary>
internal static class TransportCases
{
    public static IEnumerable<ConformanceCase> All() =>
    [
        Framing("TRN-001", TransportFraming.Abridged),
        Framing("TRN-002", TransportFraming.Intermediate),
        Framing("TRN-003", TransportFraming.PaddedIntermediate),
        Framing("TRN-004", TransportFraming.Full),
        new("TRN-005", "transport", Must, "A full-framing frame with a wrong CRC32 closes the connection.", "§6",
            "a full frame carrying req_pq_multi with its CRC altered", "the connection closed, no answer", async c =>
            {
                if (c.Target.Transport != "tcp")
                {
                    return CaseOutcome.NotApplicable("the full framing is a TCP framing");
                }

                byte[] frame = new FrameWriter(TransportFraming.Full).Frame(UnencryptedMessage.Build(4, ReqPq()));
                frame[^1] ^= 0xff;
                return await ClosesAsync(c, frame, TransportFraming.Full);
            })
        {
            Passes = "after the full framing's frame with a wrong CRC32, on a TCP connection of its own, the server closes the "
                + "connection (a read returns end of stream, or the connection is reset) within 5 s, sending nothing first. Any "
                + "bytes (an answer or a transport error), or the connection still open after 5 s, fails. A framed -429: not "
                + "applicable. Not applicable over HTTP and WebSocket.",
        },
        new("TRN-006", "transport", Must, "A frame announcing more than the server's packet limit closes the connection before its payload is read.", "§6",
            "an intermediate frame header announcing 256 MiB", "the connection closed", async c =>
            {
                if (c.Target.Transport != "tcp")
                {
                    return CaseOutcome.NotApplicable("a TCP framing test");
                }

                byte[] header = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(header, 256 << 20);
                return await ClosesAsync(c, header, TransportFraming.Intermediate);
            })
        {
            Passes = "after an intermediate frame header announcing 256 MiB and no payload, on a TCP connection of its own, the "
                + "server closes the connection (end of stream or a reset) within 5 s, sending nothing first; waiting for the "
                + "payload (still open after 5 s) or any bytes fails. A framed -429: not applicable. Not applicable over HTTP and "
                + "WebSocket.",
        },
        new("TRN-007", "transport", Must, "A WebSocket text message closes the connection: MTProto travels in binary messages.", "§6",
            "a text message on /apiws", "the connection closed", async c =>
            {
                if (c.Target.Transport != "websocket")
                {
                    return CaseOutcome.NotApplicable("a WebSocket test");
                }

                using var socket = new System.Net.WebSockets.ClientWebSocket();
                socket.Options.AddSubProtocol("binary");
                await socket.ConnectAsync(c.Target.Address, c.Cancel);
                await socket.SendAsync("hello"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, c.Cancel);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
                timeout.CancelAfter(Probe.AnswerTimeout);
                byte[] buffer = new byte[64];
                System.Net.WebSockets.WebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer, timeout.Token);
                }
                catch (OperationCanceledException) when (!c.Cancel.IsCancellationRequested)
                {
                    return CaseOutcome.Fail($"the connection stayed open for {Probe.AnswerTimeout.TotalSeconds} s");
                }
                catch (System.Net.WebSockets.WebSocketException e)
                {
                    return CaseOutcome.Pass($"the server dropped the connection without a close message ({e.WebSocketErrorCode})");
                }

                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Binary && result.Count is 4 or 8
                    && TransportErrors.Read(buffer.AsSpan(result.Count - 4, 4)) == TransportErrors.RateLimited)
                {
                    throw new RateLimitedException("a WebSocket text message");
                }

                return CaseOutcome.Check(result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close, $"the server answered with a {result.MessageType} message");
            })
        {
            Passes = "after a text message on a WebSocket of its own, the first thing the server sends within 5 s is a close "
                + "message, or it drops the connection. A binary or text message first, or the connection still open after 5 s, "
                + "fails. A binary -429: not applicable. Not applicable over TCP and HTTP.",
        },
        TruncatedFrame(),
    ];

    /// <summary>A frame cut short, then the connection closed: nothing breaks, and other clients are served.</summary>
    private static ConformanceCase TruncatedFrame() =>
        new("TRN-008", "transport", Must, "A frame cut short by a closed connection leaves the server serving others.", "§6",
            "an intermediate header announcing 100 bytes, 50 bytes, then close; then a ping in another session", "pong", async c =>
            {
                if (c.Target.Transport != "tcp")
                {
                    return CaseOutcome.NotApplicable("a TCP framing test");
                }

                using (var client = new TcpClient())
                {
                    await client.ConnectAsync(c.Target.Address.Host, c.Target.Address.Port, c.Cancel);
                    NetworkStream stream = client.GetStream();
                    byte[] bytes = [.. FramingDetector.Marker(TransportFraming.Intermediate), 100, 0, 0, 0, .. new byte[50]];
                    await stream.WriteAsync(bytes, c.Cancel);
                    // Close our side and wait (5 s at most) for the server to close its own: it has then read the cut
                    // frame to its end, so the ping below is sure to come after it. A server that keeps the connection
                    // open is judged by the ping alone.
                    client.Client.Shutdown(SocketShutdown.Send);
                    try
                    {
                        await stream.ReadAsync(new byte[1], c.Cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(5), c.Cancel);
                    }
                    catch (Exception e) when (e is TimeoutException or IOException)
                    {
                        // still open, or reset: either way the server has had its chance to see the cut
                    }
                }

                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Ping(8), c.Cancel);
                return CaseOutcome.Check(reply.Has("pong"), $"a ping afterwards: {reply}");
            })
        {
            Passes = "after a TCP connection sends an intermediate header announcing 100 bytes, 50 bytes and closes (its side, then "
                + "waiting up to 5 s for the server to close its own), a new session on "
                + "the run's key on a new connection gets pong for a ping (after its first exchange). No pong, silence or a closed "
                + "connection fails. Not applicable over HTTP and WebSocket. -429: not applicable.",
        };

    internal static byte[] ReqPq() =>
        Testbed.Protocol.Tl.TlCodec.MTProto.Serialize(new Testbed.Protocol.Tl.TlObject(Testbed.Protocol.Tl.TlSchema.MTProto["req_pq_multi"],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    private static ConformanceCase Framing(string id, TransportFraming framing) =>
        new(id, "transport", Must, $"The {framing} framing carries a whole session.", "§6", $"a handshake and a ping over {framing}", "pong", async c =>
        {
            if (c.Target.Transport == "http")
            {
                return CaseOutcome.NotApplicable("HTTP has no framing");
            }

            // A key of its own, so that the handshake travels over this framing too (the run's key was made over another).
            var target = c.Target with { Framing = framing };
            await using Probe probe = await new CaseContext(target, c.SharedKeyFactory, c.Cancel).OwnKeySessionAsync();
            await probe.WarmAsync(c.Cancel);
            Reply reply = await probe.SendAsync(Probe.Ping(5), c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 5, $"answer over {framing}: {reply}");
        })
        {
            Passes = $"a handshake over the {framing} framing (a key of the case's own) succeeds, and on that connection, after the "
                + "session's first exchange, a ping is answered with pong carrying its ping_id. A failed handshake, no pong, silence "
                + "or a closed connection fails. Not applicable over HTTP. -429 (including on the handshake): not applicable.",
        };

    /// <summary>The transport error a server frame at the start of <paramref name="bytes"/> carries, if it is one.</summary>
    private static int? FramedTransportError(ReadOnlySpan<byte> bytes, TransportFraming framing)
    {
        (int header, int length) = framing == TransportFraming.Full ? (8, 16) : (4, 4); // full: length, seq_no, payload, CRC32
        return bytes.Length >= header + 4 && BinaryPrimitives.ReadInt32LittleEndian(bytes) == length
            ? TransportErrors.Read(bytes.Slice(header, 4))
            : null;
    }

    private static async Task<CaseOutcome> ClosesAsync(CaseContext c, byte[] bytes, TransportFraming framing)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(c.Target.Address.Host, c.Target.Address.Port, c.Cancel);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(FramingDetector.Marker(framing).ToArray(), c.Cancel);
        await stream.WriteAsync(bytes, c.Cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
        timeout.CancelAfter(Probe.AnswerTimeout);
        byte[] buffer = new byte[256];
        try
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            return read > 0 && FramedTransportError(buffer.AsSpan(0, read), framing) == TransportErrors.RateLimited
                ? throw new RateLimitedException($"a {framing} frame the server should have closed the connection for")
                : CaseOutcome.Check(read == 0, read == 0 ? "the server closed the connection"
                    : $"the server sent {read} bytes instead of closing ({TransportErrors.DescribePacket(buffer[..read])})");
        }
        catch (OperationCanceledException) when (!c.Cancel.IsCancellationRequested)
        {
            return CaseOutcome.Fail($"the connection stayed open for {Probe.AnswerTimeout.TotalSeconds} s");
        }
        catch (IOException)
        {
            return CaseOutcome.Pass("the server reset the connection");
        }
    }
}
