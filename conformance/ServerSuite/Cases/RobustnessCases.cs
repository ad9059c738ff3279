using System.Buffers.Binary;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>Robustness (docs/protocol.md §3.6, §4.2, §5.6): garbage, bursts, nesting and floods answered as specified, and the server goes on serving.</summary>
internal static class RobustnessCases
{
    public static IEnumerable<ConformanceCase> All() =>
    [
        new("ROB-001", "robustness", Must, "A malformed unencrypted message gets -404 and the server goes on serving.", "§3.6, §5.6",
            "40 zero bytes as an unencrypted message, then a normal session", "-404, then a pong on a new session", async c =>
            {
                await using (var raw = await c.Target.ConnectAsync(c.Cancel))
                {
                    await raw.SendAsync(new byte[40], c.Cancel);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
                    timeout.CancelAfter(Probe.AnswerTimeout);
                    byte[]? answer = await raw.ReceiveAsync(timeout.Token);
                    switch (answer is null ? null : TransportErrors.Read(answer))
                    {
                        case TransportErrors.RateLimited:
                            throw new RateLimitedException("40 zero bytes as an unencrypted message");
                        case not -404:
                            return CaseOutcome.Fail($"answer to 40 zero bytes: {TransportErrors.DescribePacket(answer)}");
                    }
                }

                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(reply.Has("pong"), $"-404, then a new session's ping: {reply}");
            })
        {
            Passes = "the answer to 40 zero bytes, on a connection of their own, is transport error -404 exactly; then a new "
                + "session on the run's key, on a new connection, gets pong for a ping. Another transport error, another packet, a "
                + "close, silence (the case's time limit) or no pong afterwards fails. -429 anywhere: not applicable.",
        },
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
            })
        {
            Passes = "after 100 pings sent without waiting, pongs for all 100 distinct ping_ids arrive on the same connection, "
                + "each packet within 5 s of the previous one. Fewer pongs before 5 s of silence or a close fails. Not applicable "
                + "over HTTP. -429: not applicable.",
        },
        new("ROB-003", "robustness", Must, "A deeply nested object inside a valid envelope is refused without harm, and the session goes on.", "§4.2",
            "gzip_packed nested 64 deep around a ping (each layer a real gzip of the one inside), then a ping in the same session",
            "bad_msg_notification 64 naming the nested message, or transport error -404; then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] data = probe.Serialize(Probe.Ping(1));
                for (int i = 0; i < 64; i++)
                {
                    data = probe.Serialize(Probe.Call("gzip_packed", ServiceCases.Gzip(data)));
                }

                EnvelopeHeader header = probe.Session.NextHeader(true);
                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(header, data, PaddingPolicy.MinimalLength(data.Length)), c.Cancel);
                Reply after = await PingAfterAsync(probe, 2, c.Cancel);
                bool refused = reply.TransportError == -404 || ServiceCases.IsInvalidContainer(reply, header);
                return CaseOutcome.Check(refused && !reply.Has("pong") && after.Find("pong")?.Get<long>("ping_id") == 2, $"nested: {reply}; then a ping: {after}");
            })
        {
            Passes = "the answer to the nested message is bad_msg_notification with error_code 64 and bad_msg_id = its msg_id, or "
                + "transport error -404, with no pong; then a ping in the same session (on a new connection if the server closed this "
                + "one) gets pong with its ping_id. Silence, another code or transport error, a pong for the nested ping, or no pong "
                + "afterwards fails. -429: not applicable.",
        },
        HandshakeFlood(),
    ];

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
                    await raw.SendAsync(UnencryptedMessage.Build(msgIds.Next(MsgIdSender.Client), TransportCases.ReqPq()), c.Cancel);
                    byte[]? answer = await raw.ReceiveAsync(c.Cancel);
                    if (answer is { Length: 4 } && BinaryPrimitives.ReadInt32LittleEndian(answer) == -429)
                    {
                        limitedAt = i;
                    }
                }

                string limited = limitedAt > 0 ? $"-429 at message {limitedAt}" : "no -429 within 300 messages";
                Reply reply;
                try
                {
                    reply = await probe.SendAsync(Probe.Ping(9), c.Cancel);
                }
                catch (RateLimitedException)
                {
                    // Here -429 is the failure under test, not a reason to give up: the existing session must go on.
                    return CaseOutcome.Fail($"{limited}; an existing session's ping: {TransportErrors.Describe(TransportErrors.RateLimited)}");
                }

                return CaseOutcome.Check(limitedAt > 0 && reply.Has("pong"), $"{limited}; an existing session's ping: {reply}");
            })
        {
            Floods = true,
            Passes = "one of up to 300 req_pq_multi sent one by one on one connection is answered with transport error -429 (the "
                + "flood stops there), and then a ping in a session warmed before the flood is answered with pong. No -429 within 300, "
                + "-429 or no pong for the existing session's ping fails. Only with --include-floods, alone, after the other cases.",
        };

    /// <summary>
    /// A ping in the probe's session after something that may have cost the connection: on a closed connection the session
    /// moves to a new one and the ping is sent again, so that only the session's life is judged.
    /// </summary>
    internal static async Task<Reply> PingAfterAsync(Probe probe, long pingId, CancellationToken cancel)
    {
        Reply reply = await probe.SendAsync(Probe.Ping(pingId), cancel);
        if (reply.Closed)
        {
            await probe.ReconnectAsync(cancel);
            reply = await probe.SendAsync(Probe.Ping(pingId), cancel);
        }

        return reply;
    }
}
