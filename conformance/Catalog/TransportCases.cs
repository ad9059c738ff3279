using System.Buffers.Binary;
using System.Net.Sockets;
using Testbed.Conformance.Running;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Transport;
using static Testbed.Conformance.Catalog.RequirementLevel;

namespace Testbed.Conformance.Catalog;

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
            }),
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
            }),
        TruncatedFrame(),
        HandshakeFlood(),
        new("ROB-001", "robustness", Must, "A malformed unencrypted message gets -404 and the server goes on serving.", "§3.6, §5.6",
            "40 zero bytes as an unencrypted message, then a normal session", "-404, then a pong on a new session", async c =>
            {
                await using (var raw = await c.Target.ConnectAsync(c.Cancel))
                {
                    await raw.SendAsync(new byte[40], c.Cancel);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
                    timeout.CancelAfter(Probe.AnswerTimeout);
                    byte[]? answer = await raw.ReceiveAsync(timeout.Token);
                    if (answer is not { Length: 4 } || BinaryPrimitives.ReadInt32LittleEndian(answer) != -404)
                    {
                        return CaseOutcome.Fail($"answer to 40 zero bytes: {(answer is null ? "none" : Convert.ToHexString(answer))}");
                    }
                }

                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(reply.Has("pong"), $"-404, then a new session's ping: {reply}");
            }),
        new("ROB-002", "robustness", Must, "A burst of 100 pings in one session is answered in full, without a hang.", "§3.9",
            "100 pings sent one after another without waiting", "100 pongs", async c =>
            {
                if (c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable("HTTP answers request by request; the burst needs a stream");
                }

                await using Probe probe = await c.WarmSessionAsync();
                for (int i = 0; i < 100; i++)
                {
                    await probe.Transport.SendAsync(probe.Seal(Probe.Ping(i), out _), c.Cancel);
                }

                var seen = new HashSet<long>();
                for (Reply next; seen.Count < 100 && !(next = await probe.NextAsync(Probe.AnswerTimeout, c.Cancel)).TimedOut && !next.Closed;)
                {
                    seen.UnionWith(next.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.Body.Get<long>("ping_id")));
                }

                return CaseOutcome.Check(seen.Count == 100, $"{seen.Count} of 100 pongs");
            }),
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
                    byte[] bytes = [.. FramingDetector.Marker(TransportFraming.Intermediate), 100, 0, 0, 0, .. new byte[50]];
                    await client.GetStream().WriteAsync(bytes, c.Cancel);
                }

                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Ping(8), c.Cancel);
                return CaseOutcome.Check(reply.Has("pong"), $"a ping afterwards: {reply}");
            });

    /// <summary>Handshake messages from one address in a burst: the server limits them with -429 and keeps serving sessions.</summary>
    private static ConformanceCase HandshakeFlood() =>
        new("ROB-004", "robustness", Should, "A flood of handshake messages from one address is cut off with transport error -429, and existing sessions go on.",
            "§3.6, §5.6", "300 req_pq_multi in a row on one connection, then a ping in an existing session", "-429 before the 300th, then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                await using var raw = await c.Target.ConnectAsync(c.Cancel);
                int limitedAt = 0;
                var msgIds = new MsgIdGenerator();
                for (int i = 1; i <= 300 && limitedAt == 0; i++)
                {
                    await raw.SendAsync(UnencryptedMessage.Build(msgIds.Next(MsgIdSender.Client), ReqPq()), c.Cancel);
                    byte[]? answer = await raw.ReceiveAsync(c.Cancel);
                    if (answer is { Length: 4 } && BinaryPrimitives.ReadInt32LittleEndian(answer) == -429)
                    {
                        limitedAt = i;
                    }
                }

                Reply reply = await probe.SendAsync(Probe.Ping(9), c.Cancel);
                return CaseOutcome.Check(limitedAt > 0 && reply.Has("pong"),
                    (limitedAt > 0 ? $"-429 at message {limitedAt}" : "no -429 within 300 messages") + $"; an existing session's ping: {reply}");
            }) { RunsLast = true };

    private static byte[] ReqPq() =>
        Testbed.Protocol.Tl.TlCodec.MTProto.Serialize(new Testbed.Protocol.Tl.TlObject(Testbed.Protocol.Tl.TlSchema.MTProto["req_pq_multi"],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    private static ConformanceCase Framing(string id, TransportFraming framing) =>
        new(id, "transport", Must, $"The {framing} framing carries a whole session.", "§6", $"a handshake and a ping over {framing}", "pong", async c =>
        {
            if (c.Target.Transport == "http")
            {
                return CaseOutcome.NotApplicable("HTTP has no framing");
            }

            var target = c.Target with { Framing = framing };
            await using Probe probe = await new CaseContext(target, c.SharedKeyFactory, c.Cancel).WarmSessionAsync();
            Reply reply = await probe.SendAsync(Probe.Ping(5), c.Cancel);
            return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 5, $"answer over {framing}: {reply}");
        });

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
            return CaseOutcome.Check(read == 0, read == 0 ? "the server closed the connection" : $"the server sent {read} bytes instead of closing");
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
