using System.Buffers.Binary;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>The auth-key handshake (docs/protocol.md §5): each step's checks, from the server's side.</summary>
internal static class HandshakeCases
{
    private const string Category = "handshake";

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("HSK-001", Category, Must, "A complete handshake gives an auth key the server then accepts for encrypted messages.", "§5",
            "the whole handshake, then a ping under the new key", "pong", async c =>
            {
                await using Probe probe = await c.OwnKeySessionAsync();
                await probe.WarmAsync(c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(reply.Has("pong"), $"ping under the new key: {reply}");
            }),
        new("HSK-002", Category, Must,
            "resPQ echoes the client's nonce, offers the server's key fingerprint, and carries a pq that is a minimal product of two primes.",
            "§5.1, §5.2", "req_pq_multi", "a resPQ the client's checks accept", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                (byte[]? answer, int error) = await run.ExchangeAsync(run.Client.Start());
                if (answer is null)
                {
                    return CaseOutcome.Fail($"req_pq_multi answered with {TransportErrors.Describe(error)}");
                }

                try
                {
                    run.Client.OnResPq(answer);
                    return CaseOutcome.Pass("resPQ accepted by every client check");
                }
                catch (HandshakeException e)
                {
                    return CaseOutcome.Fail($"resPQ refused: {e.Message}");
                }
            }),
        BadReqDh("HSK-003", "an RSA key fingerprint the server did not offer", q => q.With("public_key_fingerprint", q.Get<long>("public_key_fingerprint") ^ 1)),
        BadReqDh("HSK-004", "p and q that are not pq's factors", q => q.With("p", Add(q.Get<byte[]>("p"), 2))),
        BadReqDh("HSK-005", "p encoded with a leading zero byte (not minimal)", q => q.With("p", (byte[])[0, .. q.Get<byte[]>("p")])),
        BadReqDh("HSK-006", "encrypted_data altered (the RSA_PAD hash no longer matches)", q =>
        {
            byte[] data = (byte[])q.Get<byte[]>("encrypted_data").Clone();
            data[100] ^= 0x10;
            return q.With("encrypted_data", data);
        }),
        BadReqDh("HSK-007", "a server_nonce the server never issued", q => q.With("server_nonce", new byte[16])),
        new("HSK-008", Category, Must,
            "The server's Diffie-Hellman values pass the client's checks: dh_prime a safe 2048-bit prime, g generating the subgroup, g_a within the margins.",
            "§5.4", "req_pq_multi, req_DH_params", "a server_DH_params_ok the client's checks accept", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                try
                {
                    byte[]? reqDh = await run.ReqDhParamsAsync();
                    byte[]? dhParams = reqDh is null ? null : (await run.ExchangeAsync(reqDh)).Answer;
                    if (dhParams is null)
                    {
                        return CaseOutcome.Fail("the handshake was refused before server_DH_params_ok");
                    }

                    run.Client.OnServerDhParams(dhParams);
                    return CaseOutcome.Pass("dh_prime, g and g_a accepted");
                }
                catch (HandshakeException e)
                {
                    return CaseOutcome.Fail($"refused by the client: {e.Message}");
                }
            }),
        new("HSK-009", Category, Must, "A g_b outside (1, dh_prime - 1) or its 2^1984 margins is refused: g_b = 1 gets dh_gen_fail or -404, never dh_gen_ok or dh_gen_retry.", "§5.4",
            "a handshake with g_b = 1",
            "dh_gen_fail or transport error -404; dh_gen_ok and dh_gen_retry both mean g_b = 1 was accepted (retry: the key it makes exists already)",
            async c =>
            {
                await using var run = await RawHandshake.StartAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter, ReplaceGB = _ => [1] });
                (string answer, bool refused) = await run.SetClientDhParamsAsync();
                return CaseOutcome.Check(refused, $"answer to set_client_DH_params with g_b = 1: {answer}");
            })
        {
            Passes = "the answer to set_client_DH_params is dh_gen_fail or transport error -404. dh_gen_ok, dh_gen_retry, another "
                + "transport error, silence or a closed connection fail; so does a refusal before set_client_DH_params (the step was "
                + "never tested). -429 anywhere: not applicable (rate-limited).",
        },
        new("HSK-010", Category, Should, "An identical re-sent handshake query gets the identical answer (a lost answer can be asked for again).", "§5.6",
            "req_DH_params twice, byte for byte", "the same server_DH_params_ok twice", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                if (await run.ReqDhParamsAsync() is not { } query)
                {
                    return CaseOutcome.Fail("req_pq_multi refused");
                }
                (byte[]? first, int e1) = await run.ExchangeAsync(query);
                (byte[]? second, int e2) = await run.ExchangeAsync(query);
                bool same = first is not null && second is not null && first.AsSpan().SequenceEqual(second);
                return CaseOutcome.Check(same, $"first: {Describe(first, e1)}; second: {Describe(second, e2)}");
            }),
        new("HSK-011", Category, Must, "After a malformed query, the rest of that handshake is refused too (-404), even a well-formed query.", "§5.6",
            "req_DH_params with a wrong fingerprint, then the correct req_DH_params", "-404 both times", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                if (await run.ReqDhParamsAsync() is not { } good)
                {
                    return CaseOutcome.Fail("req_pq_multi refused");
                }
                byte[] bad = run.Codec.Serialize(run.Codec.Deserialize(good).With("public_key_fingerprint", 42L));
                (_, int e1) = await run.ExchangeAsync(bad);
                (byte[]? answer, int e2) = await run.ExchangeAsync(good);
                return CaseOutcome.Check(e1 == -404 && e2 == -404, $"malformed: {Describe(null, e1)}; then correct: {Describe(answer, e2)}");
            }),
        new("HSK-012", Category, Must, "p_q_inner_data_dc naming a data centre the server does not serve is refused with -444.", "§3.6, §5.2",
            "req_DH_params whose inner data names DC 999", "-444", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c, new HandshakeClientOptions { DataCenter = 999 });
                if (await run.ReqDhParamsAsync() is not { } reqDh)
                {
                    return CaseOutcome.Fail("req_pq_multi refused");
                }

                (byte[]? answer, int error) = await run.ExchangeAsync(reqDh);
                return CaseOutcome.Check(error == -444, $"answer: {Describe(answer, error)}");
            }),
        new("HSK-013", "handshake", Must, "The old RSA encoding (SHA1 | data | padding, open to a timing attack) is refused: only RSA_PAD is accepted.",
            "§5.2, §7", "req_DH_params with the legacy encoding", "-404", async c =>
            {
                try
                {
                    var transport = await c.Target.ConnectAsync(c.Cancel);
                    await using (transport.ConfigureAwait(false))
                    {
                        await Testbed.Protocol.Client.TransportHandshake.RunAsync(transport, c.Target.ServerKey,
                            new HandshakeClientOptions { DataCenter = c.Target.DataCenter, UseLegacyRsa = true }, null, c.Cancel);
                    }

                    return CaseOutcome.Fail("a handshake with the legacy RSA encoding completed");
                }
                catch (Testbed.Protocol.Client.TransportErrorException e) when (e.Code != TransportErrors.RateLimited)
                {
                    return CaseOutcome.Check(e.Code == -404, $"refused with {TransportErrors.Describe(e.Code)}");
                }
            }),
        new("HSK-014", "handshake", Must, "A temporary key (p_q_inner_data_temp_dc) is created and accepted like a permanent one.", "§5.3",
            "a handshake with expires_in = 3600, then a ping", "pong", async c =>
            {
                var transport = await c.Target.ConnectAsync(c.Cancel);
                await using (transport.ConfigureAwait(false))
                {
                    HandshakeClientDone done = await Testbed.Protocol.Client.TransportHandshake.RunAsync(transport, c.Target.ServerKey,
                        new HandshakeClientOptions { DataCenter = c.Target.DataCenter, TemporaryKeyExpiresIn = 3600 }, null, c.Cancel);
                    using var key = AuthKey.FromBytes(done.AuthKey);
                    var session = new Testbed.Protocol.Sessions.ClientSession(key, done.ServerSalt);
                    session.MsgIds.ClockOffset = done.ServerTimeOffset;
                    await transport.SendAsync(session.Encrypt(TlCodec.Testbed.Serialize(Probe.Ping(1)), true).Wire, c.Cancel);
                    byte[]? answer = await transport.ReceiveAsync(c.Cancel);
                    bool ok = answer is not null && session.TryDecrypt(answer, out _, out byte[] data) && data.Length > 0;
                    return CaseOutcome.Check(ok, ok ? "the temporary key works" : $"answer: {(answer is null ? "none" : $"{answer.Length} bytes")}");
                }
            }),
        new("HSK-015", Category, Must, "A first set_client_DH_params whose retry_id is not 0 is refused (dh_gen_fail): retry_id must name a previous attempt.",
            "§5.5", "a handshake whose first client_DH_inner_data carries retry_id = 12345",
            "dh_gen_fail or transport error -404; dh_gen_ok and dh_gen_retry both accept the made-up retry_id", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter, ReplaceRetryId = 12345 });
                (string answer, bool refused) = await run.SetClientDhParamsAsync();
                return CaseOutcome.Check(refused, $"answer: {answer}");
            })
        {
            Passes = "the answer to set_client_DH_params is dh_gen_fail or transport error -404. dh_gen_ok, dh_gen_retry, another "
                + "transport error, silence or a closed connection fail; so does a refusal before set_client_DH_params. -429 anywhere: "
                + "not applicable (rate-limited).",
        },
        new("HSK-016", Category, Should, "Unfinished handshake state expires: a handshake resumed after the server's stated lifetime is refused with -404.",
            "§5.6", "req_pq_multi and req_DH_params, a wait past --handshake-expiry, then set_client_DH_params", "-404", async c =>
            {
                if (c.Target.HandshakeExpiry is not { } expiry)
                {
                    return CaseOutcome.NotApplicable("needs --handshake-expiry SECONDS (the server's pending-handshake lifetime; this waits that long)");
                }

                await using var run = await RawHandshake.StartAsync(c);
                byte[]? reqDh = await run.ReqDhParamsAsync();
                byte[]? dhParams = reqDh is null ? null : (await run.ExchangeAsync(reqDh)).Answer;
                if (dhParams is null)
                {
                    return CaseOutcome.Fail("the handshake was refused before server_DH_params_ok");
                }

                byte[] setDh = run.Client.OnServerDhParams(dhParams);
                await Task.Delay(expiry + TimeSpan.FromSeconds(2), c.Cancel);
                (byte[]? answer, int error) = await run.ExchangeAsync(setDh);
                return CaseOutcome.Check(error == -404, $"after {expiry.TotalSeconds + 2:F0} s: {Describe(answer, error)}");
            }),
    ];

    /// <summary>The case whose requirement a handshake answer refused by the client's checks breaks.</summary>
    public static string CaseChecking(HandshakeAnswer refused) => refused switch
    {
        HandshakeAnswer.ResPq => "HSK-002",
        HandshakeAnswer.ServerDhParams => "HSK-008",
        _ => "HSK-001",
    };

    private static ConformanceCase BadReqDh(string id, string defect, Func<TlObject, TlObject> damage) =>
        new(id, Category, Must, $"req_DH_params with {defect} is refused with -404.", "§5.2, §5.6", $"req_DH_params with {defect}", "-404", async c =>
        {
            await using var run = await RawHandshake.StartAsync(c);
            if (await run.ReqDhParamsAsync() is not { } reqDh)
            {
                return CaseOutcome.Fail("req_pq_multi refused");
            }

            byte[] query = run.Codec.Serialize(damage(run.Codec.Deserialize(reqDh)));
            (byte[]? answer, int error) = await run.ExchangeAsync(query);
            return CaseOutcome.Check(error == -404, $"answer: {Describe(answer, error)}");
        });

    private static byte[] Add(byte[] bigEndian, int value)
    {
        var n = new System.Numerics.BigInteger(bigEndian, isUnsigned: true, isBigEndian: true) + value;
        return n.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    private static string Describe(byte[]? answer, int error)
    {
        if (answer is null)
        {
            return error == 0 ? "nothing" : TransportErrors.Describe(error);
        }

        try
        {
            return TlCodec.MTProto.Deserialize(answer).Combinator.Name;
        }
        catch (TlDecodeException)
        {
            return $"{answer.Length} unreadable bytes";
        }
    }

    /// <summary>A handshake driven by hand over a new connection: each query can be altered before it is sent.</summary>
    private sealed class RawHandshake : IAsyncDisposable
    {
        private readonly IPacketTransport _transport;
        private readonly CancellationToken _cancel;
        private readonly MsgIdGenerator _msgIds = new();

        private RawHandshake(IPacketTransport transport, HandshakeClient client, CancellationToken cancel) =>
            (_transport, Client, _cancel) = (transport, client, cancel);

        public HandshakeClient Client { get; }

        public TlCodec Codec { get; } = TlCodec.MTProto;

        public static async Task<RawHandshake> StartAsync(CaseContext c, HandshakeClientOptions? options = null) =>
            new(await c.Target.ConnectAsync(c.Cancel), new HandshakeClient([c.Target.ServerKey],
                options ?? new HandshakeClientOptions { DataCenter = c.Target.DataCenter }), c.Cancel);

        /// <summary>Sends one query; the answer's message data, or the transport error.</summary>
        public async Task<(byte[]? Answer, int Error)> ExchangeAsync(byte[] query)
        {
            await _transport.SendAsync(UnencryptedMessage.Build(_msgIds.Next(MsgIdSender.Client), query), _cancel);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_cancel);
            timeout.CancelAfter(Probe.AnswerTimeout);
            byte[]? packet;
            try
            {
                packet = await _transport.ReceiveAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!_cancel.IsCancellationRequested)
            {
                return (null, 0);
            }

            if (packet is null || packet.Length < 4)
            {
                return (null, 0);
            }

            if (TransportErrors.Read(packet) is int code)
            {
                return code == TransportErrors.RateLimited ? throw new RateLimitedException("a handshake query") : (null, code);
            }

            return UnencryptedMessage.TryRead(packet, out _, out int length, allowTrailing: true)
                ? (packet.AsSpan(UnencryptedMessage.HeaderSize, length).ToArray(), 0)
                : (null, 0);
        }

        /// <summary>Step 1 (req_pq_multi, resPQ checked by the client); the req_DH_params to send next, or null if refused.</summary>
        public async Task<byte[]?> ReqDhParamsAsync() =>
            (await ExchangeAsync(Client.Start())).Answer is { } resPq ? Client.OnResPq(resPq) : null;

        /// <summary>Runs the handshake to its last answer and names it (dh_gen_ok, dh_gen_fail, or the refusal).</summary>
        /// <summary>
        /// Runs the handshake to set_client_DH_params and reads the answer: its name, and whether it is a refusal as
        /// §5.5 and §5.6 specify, dh_gen_fail or transport error -404. Not dh_gen_retry: a server answers that after
        /// accepting the values, when the key they make already exists (as it does on a live server that accepted the
        /// same bad g_b before). A server DH answer that fails the client's own checks is HSK-008's verdict, so that
        /// exception is left to the runner.
        /// </summary>
        public async Task<(string Answer, bool Refused)> SetClientDhParamsAsync()
        {
            byte[]? reqDh = await ReqDhParamsAsync();
            byte[]? dhParams = reqDh is null ? null : (await ExchangeAsync(reqDh)).Answer;
            if (dhParams is null)
            {
                return ("the handshake was refused before set_client_DH_params: nothing about this step was shown", false);
            }

            (byte[]? answer, int error) = await ExchangeAsync(Client.OnServerDhParams(dhParams));
            string name = Describe(answer, error);
            return (name, name == "dh_gen_fail" || (answer is null && error == -404));
        }

        public ValueTask DisposeAsync() => _transport.DisposeAsync();
    }
}
