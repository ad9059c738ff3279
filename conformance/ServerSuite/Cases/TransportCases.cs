using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using Testbed.Protocol.Client;
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
                return await ClosesAsync(c, FramingDetector.Marker(TransportFraming.Full).ToArray(), frame, TransportFraming.Full);
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
                return await ClosesAsync(c, FramingDetector.Marker(TransportFraming.Intermediate).ToArray(), header, TransportFraming.Intermediate);
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
        Framing("TRN-009", TransportFraming.Abridged, obfuscated: true),
        Framing("TRN-010", TransportFraming.Intermediate, obfuscated: true),
        Framing("TRN-011", TransportFraming.PaddedIntermediate, obfuscated: true),
        UnknownObfuscationTag(),
        FullStartNotObfuscated(),
    ];

    /// <summary>An obfuscated init whose tag names no framing: refused.</summary>
    private static ConformanceCase UnknownObfuscationTag() =>
        new("TRN-012", "transport", Must, "An obfuscated init whose decrypted protocol tag is unknown closes the connection.", "§6.1",
            "an obfuscated init with the tag 01 02 03 04, then req_pq_multi in the intermediate framing through the stream", "the connection closed, no answer",
            async c =>
            {
                if (c.Target.Transport != "tcp")
                {
                    return CaseOutcome.NotApplicable("a TCP framing test");
                }

                byte[] init = RandomNumberGenerator.GetBytes(ObfuscatedInit.Length);
                init[0] = 0x11; // neither a plain marker nor a reserved first int
                init[4] = 0x22; // a second int that is not zero
                new byte[] { 1, 2, 3, 4 }.CopyTo(init, 56);
                byte[] header = new byte[ObfuscatedInit.Length];
                using ObfuscationCiphers ciphers = ObfuscatedInit.Seal(init, header);
                byte[] frame = new FrameWriter(TransportFraming.Intermediate).Frame(UnencryptedMessage.Build(4, ReqPq()));
                ciphers.Send.Transform(frame);
                return await ClosesAsync(c, header, frame, TransportFraming.Intermediate);
            })
        {
            Passes = "after an obfuscated init (64 bytes, built as the transports page says) whose encrypted bytes 56..59 decrypt to "
                + "01 02 03 04, followed by req_pq_multi in the intermediate framing encrypted with the same stream, on a TCP connection "
                + "of its own, the server closes the connection (end of stream or a reset) within 5 s, sending nothing first. Any "
                + "bytes (a resPQ served as if the tag were intermediate), or the connection still open after 5 s, fails. Not "
                + "applicable over HTTP and WebSocket.",
        };

    /// <summary>
    /// The full framing has no marker, and its first 64 bytes could be taken for an obfuscated init; its second int,
    /// sequence number 0, is what an init may never have, so a server must read it as full.
    /// </summary>
    private static ConformanceCase FullStartNotObfuscated() =>
        new("TRN-013", "transport", Must, "A start whose second int is zero is the full framing, not an obfuscated init, even 64 bytes long.", "§6, §6.1",
            "two req_pq_multi in the full framing in one write (104 bytes)", "two resPQ in the full framing", async c =>
            {
                if (c.Target.Transport != "tcp")
                {
                    return CaseOutcome.NotApplicable("the full framing is a TCP framing");
                }

                var writer = new FrameWriter(TransportFraming.Full);
                await using var transport = await TcpPacketTransport.ConnectAsync(c.Target.Address.Host, c.Target.Address.Port,
                    TransportFraming.Full, cancel: c.Cancel);
                await transport.SendRawAsync((byte[])[.. writer.Frame(UnencryptedMessage.Build(4, ReqPq())), .. writer.Frame(UnencryptedMessage.Build(8, ReqPq()))],
                    c.Cancel);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
                timeout.CancelAfter(Probe.AnswerTimeout);
                var answers = new List<string>();
                try
                {
                    while (answers.Count < 2 && await transport.ReceiveAsync(timeout.Token) is { } packet)
                    {
                        answers.Add(Describe(packet));
                    }
                }
                catch (OperationCanceledException) when (!c.Cancel.IsCancellationRequested)
                {
                    answers.Add("silence");
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    answers.Add($"a broken connection ({e.Message})");
                }

                if (answers.Any(a => a == "-429"))
                {
                    throw new RateLimitedException("two full-framing req_pq_multi");
                }

                return CaseOutcome.Check(answers is ["resPQ", "resPQ"], $"answers: {string.Join(", ", answers.DefaultIfEmpty("none, the connection closed"))}");
            })
        {
            Passes = "after two req_pq_multi framed in the full framing (sequence numbers 0 and 1, 104 bytes) sent in one write on a TCP "
                + "connection of its own, the server answers both with resPQ in the full framing within 5 s each. A closed connection "
                + "(a server that took the first 64 bytes for an obfuscated init), silence or another answer fails. A -429: not "
                + "applicable. Not applicable over HTTP and WebSocket.",
        };

    /// <summary>"resPQ" for an unencrypted resPQ, else the transport error or what else the packet is.</summary>
    private static string Describe(byte[] packet) =>
        UnencryptedMessage.TryRead(packet, out _, out int length) && length >= 4
            && BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(UnencryptedMessage.HeaderSize)) == Testbed.Protocol.Tl.TlSchema.MTProto["resPQ"].Id
            ? "resPQ"
            : TransportErrors.DescribePacket(packet);

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

    private static ConformanceCase Framing(string id, TransportFraming framing, bool obfuscated = false) =>
        new(id, "transport", Must, $"The {Named(framing, obfuscated)} framing carries a whole session.", obfuscated ? "§6.1" : "§6",
            $"a handshake and a ping over {Named(framing, obfuscated)}", "pong", async c =>
        {
            if (c.Target.Transport == "http")
            {
                return CaseOutcome.NotApplicable("HTTP has no framing");
            }

            // A key of its own, so that the handshake travels over this framing too (the run's key was made over another).
            var target = c.Target with { Framing = framing, Obfuscated = obfuscated };
            await using Probe probe = await new CaseContext(target, c.SharedKeyFactory, c.Cancel).OwnKeySessionAsync();
            await probe.WarmAsync(c.Cancel);
            Reply reply = await probe.SendAsync(Probe.Ping(5), c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 5, $"answer over {Named(framing, obfuscated)}: {reply}");
        })
        {
            Passes = $"a handshake over the {Named(framing, obfuscated)} framing (a key of the case's own) succeeds, and on that connection, after the "
                + "session's first exchange, a ping is answered with pong carrying its ping_id. A failed handshake, no pong, silence "
                + "or a closed connection fails. Not applicable over HTTP. -429 (including on the handshake): not applicable.",
        };

    /// <summary>A framing's name in the catalogue: "obfuscated " before it when it travels obfuscated.</summary>
    private static string Named(TransportFraming framing, bool obfuscated) => obfuscated ? $"obfuscated {framing}" : $"{framing}";

    /// <summary>The transport error a server frame at the start of <paramref name="bytes"/> carries, if it is one.</summary>
    private static int? FramedTransportError(ReadOnlySpan<byte> bytes, TransportFraming framing)
    {
        (int header, int length) = framing == TransportFraming.Full ? (8, 16) : (4, 4); // full: length, seq_no, payload, CRC32
        return bytes.Length >= header + 4 && BinaryPrimitives.ReadInt32LittleEndian(bytes) == length
            ? TransportErrors.Read(bytes.Slice(header, 4))
            : null;
    }

    /// <summary>Sends <paramref name="opening"/> (a marker or an obfuscated init) and <paramref name="bytes"/>, and judges whether the server closes.</summary>
    private static async Task<CaseOutcome> ClosesAsync(CaseContext c, byte[] opening, byte[] bytes, TransportFraming framing)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(c.Target.Address.Host, c.Target.Address.Port, c.Cancel);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(opening, c.Cancel);
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
