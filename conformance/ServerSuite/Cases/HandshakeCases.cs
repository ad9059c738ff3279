using System.Buffers.Binary;
using System.Security.Cryptography;
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

    // HSK-017's expires_in: short, so that the case waits little past it, yet long enough for a first ping to show
    // that the key worked (the server accepts 1 s and more, docs/protocol.md §5.6).
    private const int ShortLifetime = 2;

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("HSK-001", Category, Must, "A complete handshake gives an auth key the server then accepts for encrypted messages.", "§5",
            "the whole handshake, then a ping under the new key", "the pong of that ping", async c =>
            {
                await using Probe probe = await c.OwnKeySessionAsync();
                await probe.WarmAsync(c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                return CaseOutcome.Check(Answers.Pong(reply, 1), $"ping under the new key: {reply}");
            })
        {
            Passes = "a handshake the client's checks accept (a refused answer is HSK-002's or HSK-008's verdict; this case is then not "
                + "applicable), then, on a new session under the new key (one bad_server_salt tolerated and obeyed), a second ping is "
                + "answered with a pong carrying its ping_id. Any other answer, silence or a closed connection fails; -429 anywhere: not applicable.",
        },
        new("HSK-002", Category, Must,
            "resPQ echoes the client's nonce, offers the server's key fingerprint, and carries a pq that is a minimal product of two primes.",
            "§5.1, §5.2", "req_pq_multi", "a resPQ the client's checks accept", c => ResPqAcceptedAsync(c, "req_pq_multi"))
        {
            Passes = "the answer to req_pq_multi is a resPQ that HandshakeClient.OnResPq accepts (its nonce echoed, the pinned key's "
                + "fingerprint offered, pq minimal bytes of a number in 4..2^63 that factors into two primes). A transport error other than -429, silence, a closed connection, "
                + "another object or a refused resPQ fails; -429: not applicable.",
        },
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
                catch (HandshakeException e) when (e.Refused == HandshakeAnswer.ServerDhParams)
                {
                    return CaseOutcome.Fail($"refused by the client: {e.Message}");
                }
            })
        {
            Passes = "req_pq_multi and req_DH_params are answered, and the server_DH_params_ok HandshakeClient.OnServerDhParams accepts "
                + "(§5.4: safe 2048-bit dh_prime, a g generating the subgroup, g_a within the margins). A refusal, silence or a closed "
                + "connection at either step, or an answer the client refuses, fails; -429: not applicable.",
        },
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
            "each of req_pq_multi, req_DH_params and set_client_DH_params twice, byte for byte",
            "the same resPQ, server_DH_params_ok and dh_gen_ok twice each, and a key", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                (byte[]? resPq, string pq) = await run.TwiceAsync(run.Client.Start(), "resPQ");
                if (resPq is null)
                {
                    return CaseOutcome.Fail($"req_pq_multi twice: {pq}");
                }

                (byte[]? dhParams, string dh) = await run.TwiceAsync(run.Client.OnResPq(resPq), "server_DH_params_ok");
                if (dhParams is null)
                {
                    return CaseOutcome.Fail($"req_pq_multi twice: {pq}; req_DH_params twice: {dh}");
                }

                (byte[]? dhGen, string gen) = await run.TwiceAsync(run.Client.OnServerDhParams(dhParams), "dh_gen_ok");
                string evidence = $"req_pq_multi twice: {pq}; req_DH_params twice: {dh}; set_client_DH_params twice: {gen}";
                return dhGen is null ? CaseOutcome.Fail(evidence) : CaseOutcome.Check(run.Client.OnDhGen(dhGen) is HandshakeClientDone, evidence);
            })
        {
            Passes = "on one connection, req_pq_multi, req_DH_params and set_client_DH_params are each sent twice byte for byte, and "
                + "both answers are the same bytes (the unencrypted message's msg_id aside): a resPQ, a server_DH_params_ok, a "
                + "dh_gen_ok the client's checks accept (a key results). Two server_DH_params_fail or dh_gen_fail, transport errors "
                + "other than -429, silence or a closed connection fail, even when alike; so do different bytes at any step. An answer "
                + "the client's checks refuse is HSK-002's, HSK-008's or HSK-001's verdict (not applicable); -429: not applicable.",
        },
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
            })
        {
            Passes = "on one connection, the req_DH_params with fingerprint 42 and then the correct req_DH_params of the same handshake "
                + "are both answered with transport error -404. Any other answer to either (another transport error, server_DH_params_ok, "
                + "silence, a closed connection) fails; so does a refused req_pq_multi. -429: not applicable.",
        },
        new("HSK-012", Category, Must,
            "p_q_inner_data_dc naming a data centre the server does not serve is refused with -444, and ends that handshake.", "§3.6, §5.2, §5.6",
            "req_DH_params whose inner data names DC 999, then one of the same handshake naming the target's DC", "-444, then -404", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c, new HandshakeClientOptions { DataCenter = 999 });
                if (await run.ReqDhParamsAsync() is not { } unserved)
                {
                    return CaseOutcome.Fail("req_pq_multi refused");
                }

                (byte[]? first, int e1) = await run.ExchangeAsync(unserved);
                TlObject query = run.Codec.Deserialize(unserved);
                byte[] served = run.Codec.Serialize(Encrypting(query, InnerDataOf(query, c.Target.DataCenter), c.Target.ServerKey));
                (byte[]? second, int e2) = await run.ExchangeAsync(served);
                return CaseOutcome.Check(e1 == -444 && e2 == -404, $"DC 999: {Describe(first, e1)}; then DC {c.Target.DataCenter}: {Describe(second, e2)}");
            })
        {
            Passes = "on one connection, the req_DH_params whose p_q_inner_data_dc names DC 999 is answered with transport error -444, "
                + "and the req_DH_params of the same handshake whose p_q_inner_data_dc names the target's DC that follows with -404. "
                + "Another answer to either (-404 first, another transport error, server_DH_params_ok or _fail, silence, a closed "
                + "connection) fails; so does a refused req_pq_multi. -429: not applicable.",
        },
        new("HSK-013", "handshake", Must, "The old RSA encoding (SHA1 | data | padding, open to a timing attack) is refused: only RSA_PAD is accepted.",
            "§5.2, §7", "req_DH_params with the legacy encoding", "-404 to that req_DH_params",
            c => ReqDhRefusedAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter, UseLegacyRsa = true }, -404))
        {
            Passes = "the req_DH_params whose encrypted_data uses the legacy encoding is itself answered with transport error -404. "
                + "server_DH_params_ok or _fail (the legacy data was parsed), another transport error, silence or a closed connection "
                + "fail, and so does a refusal that only comes at a later step; a refused req_pq_multi fails. -429: not applicable.",
        },
        new("HSK-014", "handshake", Must, "A temporary key (p_q_inner_data_temp_dc) is created and accepted like a permanent one.", "§5.3",
            "a handshake with expires_in = 3600, then a ping", "the pong of that ping", async c =>
            {
                await using TemporaryKeyProbe probe = await TemporaryKeyProbe.CreateAsync(c, 3600);
                (bool pong, _, string answers) = await probe.PingAsync(c.Cancel);
                return CaseOutcome.Check(pong, pong ? $"the temporary key works: {answers}" : $"no pong under the temporary key: {answers}");
            })
        {
            Passes = "a handshake with p_q_inner_data_temp_dc (expires_in 3600) the client's checks accept, then a ping under the new "
                + "key on the same connection is answered with a pong carrying its ping_id (after at most one bad_server_salt, obeyed). "
                + "Any other answer, one that does not decrypt, a transport error, silence or a closed connection fails; -429 anywhere: "
                + "not applicable.",
        },
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
            })
        {
            Passes = "after server_DH_params_ok and a wait of --handshake-expiry + 2 s, the set_client_DH_params is answered with "
                + "transport error -404. dh_gen_ok, _retry or _fail, another transport error, silence or a closed connection fail; so "
                + "does a refusal before server_DH_params_ok. Without --handshake-expiry: not applicable; -429: not applicable.",
        },
        new("HSK-017", Category, Must, "A temporary key stops working when its expires_in has passed: a message under it then gets -404.", "§3.6, §5.3, §5.6",
            $"a handshake with expires_in = {ShortLifetime} s, a ping at once, then a ping {ShortLifetime + 1} s after dh_gen_ok",
            "the pong of the first ping; transport error -404 to the second", async c =>
            {
                TimeSpan lifetime = TimeSpan.FromSeconds(ShortLifetime);
                await using TemporaryKeyProbe probe = await TemporaryKeyProbe.CreateAsync(c, ShortLifetime);
                (bool pong, _, string before) = await probe.PingAsync(c.Cancel);
                if (!pong)
                {
                    // A server may keep expires_at in whole seconds (the reference does), so the key is sure to live only
                    // expires_in - 1 s: a ping answered later shows nothing about whether the key ever worked.
                    return probe.Age < lifetime - TimeSpan.FromSeconds(1)
                        ? CaseOutcome.Fail($"no pong under the temporary key within its lifetime: {before}")
                        : CaseOutcome.NotApplicable($"the first ping was answered {probe.Age.TotalSeconds:F1} s after dh_gen_ok, too late to be "
                            + $"sure the key still lived: {before}");
                }

                TimeSpan wait = lifetime + TimeSpan.FromSeconds(1) - probe.Age;
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, c.Cancel);
                (_, int error, string after) = await probe.PingAsync(c.Cancel);
                return CaseOutcome.Check(error == -404, $"within the lifetime: {before}; {probe.Age.TotalSeconds:F1} s after dh_gen_ok: {after}");
            })
        {
            Passes = $"after a handshake with p_q_inner_data_temp_dc (expires_in {ShortLifetime}) the client's checks accept, a ping under the "
                + "new key on the same connection is answered with a pong carrying its ping_id (after at most one bad_server_salt, "
                + $"obeyed), and a ping sent {ShortLifetime + 1} s after dh_gen_ok is answered with transport error -404. A pong or any "
                + "other answer to the late ping (a bad_server_salt, another transport error, silence, a closed connection) fails, as "
                + $"does a first ping answered without a pong within {ShortLifetime - 1} s of dh_gen_ok (expires_at may be kept in whole "
                + "seconds, so the key may live up to 1 s less); a first ping answered later without a pong: not applicable; -429 "
                + "anywhere: not applicable.",
        },
        new("HSK-018", Category, Must,
            "req_DH_params whose p_q_inner_data disagrees with it or with resPQ (nonce, server_nonce, pq, p or q) is refused with -404.",
            "§5.2, §5.6", "five handshakes, each a req_DH_params whose RSA_PAD-encrypted p_q_inner_data_dc changes one of nonce, "
            + "server_nonce, pq, p, q", "-404 to each", async c =>
            {
                var answers = new List<string>();
                bool refused = true;
                foreach ((string field, Func<byte[], byte[]> change) in new (string, Func<byte[], byte[]>)[]
                {
                    ("nonce", Flipped), ("server_nonce", Flipped), ("pq", n => Add(n, 2)), ("p", n => Add(n, 2)), ("q", n => Add(n, 2)),
                })
                {
                    CaseOutcome outcome = await ReqDhRefusedAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter }, -404, q =>
                    {
                        TlObject inner = InnerDataOf(q, c.Target.DataCenter);
                        return Encrypting(q, inner.With(field, change(inner.Get<byte[]>(field))), c.Target.ServerKey);
                    });
                    refused &= outcome.Verdict == Verdict.Pass;
                    answers.Add($"{field} changed: {outcome.Evidence}");
                }

                return CaseOutcome.Check(refused, string.Join("; ", answers));
            })
        {
            Passes = "each of the five req_DH_params (one handshake each, its outer nonce, server_nonce, p and q correct; inside, "
                + "nonce or server_nonce with a bit flipped, or pq, p or q plus 2) is answered with transport error -404. "
                + "server_DH_params_ok or _fail, another transport error, silence or a closed connection for any of them fails; so "
                + "does a refused req_pq_multi. -429: not applicable.",
        },
        new("HSK-019", Category, Must, "req_DH_params whose encrypted_data passes RSA_PAD but holds no p_q_inner_data is refused with -404.",
            "§5.2, §5.6", "req_DH_params whose RSA_PAD-encrypted data is a req_pq_multi", "-404",
            c => ReqDhRefusedAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter }, -404,
                q => Encrypting(q, new TlObject(TlSchema.MTProto["req_pq_multi"], q.Get<byte[]>("nonce")), c.Target.ServerKey)))
        {
            Passes = "the req_DH_params whose encrypted_data is a valid RSA_PAD of a req_pq_multi (a well-formed TL object of another "
                + "type) is answered with transport error -404. server_DH_params_ok or _fail (the latter tells the sender its padding "
                + "was right), another transport error, silence or a closed connection fail; so does a refused req_pq_multi. -429: "
                + "not applicable.",
        },
        new("HSK-020", Category, Must,
            "set_client_DH_params whose encrypted client_DH_inner_data carries another server_nonce is refused with -404.", "§5.3, §5.6",
            "a handshake whose client_DH_inner_data (encrypted under the right temporary key) carries a server_nonce with a bit "
            + "flipped, the outer query's nonces correct", "-404", async c =>
            {
                await using var run = await RawHandshake.StartAsync(c);
                if (await run.ReqDhParamsAsync() is not { } reqDh)
                {
                    return CaseOutcome.Fail("req_pq_multi refused");
                }

                TlObject query = run.Codec.Deserialize(reqDh);
                TlObject pqInner = InnerDataOf(query, c.Target.DataCenter);
                (byte[]? dhParams, int error) = await run.ExchangeAsync(run.Codec.Serialize(Encrypting(query, pqInner, c.Target.ServerKey)));
                byte[] newNonce = pqInner.Get<byte[]>("new_nonce");
                byte[] tmpKey = new byte[32], tmpIv = new byte[32];
                TmpAesKey.Derive(newNonce, query.Get<byte[]>("server_nonce"), tmpKey, tmpIv);
                TlObject? dhInner = dhParams is null || Describe(dhParams, error) != "server_DH_params_ok" ? null
                    : EncryptedAnswer.TryDecrypt(tmpKey, tmpIv, run.Codec.Deserialize(dhParams).Get<byte[]>("encrypted_answer"), run.Codec,
                        "Server_DH_inner_data");
                if (dhInner is null)
                {
                    return CaseOutcome.Fail($"no readable server_DH_params_ok to go on from: {Describe(dhParams, error)}");
                }

                byte[] gB = DhExchange.PublicValue(dhInner.Get<int>("g"), BigEndianInteger.Read(RandomNumberGenerator.GetBytes(DhExchange.Size)),
                    BigEndianInteger.Read(dhInner.Get<byte[]>("dh_prime")));
                var clientInner = new TlObject(TlSchema.MTProto["client_DH_inner_data"], query.Get<byte[]>("nonce"),
                    Flipped(query.Get<byte[]>("server_nonce")), 0L, gB);
                byte[] setDh = run.Codec.Serialize(new TlObject(TlSchema.MTProto["set_client_DH_params"], query.Get<byte[]>("nonce"),
                    query.Get<byte[]>("server_nonce"), EncryptedAnswer.Encrypt(tmpKey, tmpIv, run.Codec.Serialize(clientInner))));
                (byte[]? answer, int refusal) = await run.ExchangeAsync(setDh);
                return CaseOutcome.Check(answer is null && refusal == -404, $"answer to set_client_DH_params: {Describe(answer, refusal)}");
            })
        {
            Passes = "after a server_DH_params_ok that decrypts under the temporary key of the case's own new_nonce, the "
                + "set_client_DH_params whose client_DH_inner_data carries the handshake's server_nonce with a bit flipped (retry_id 0, a "
                + "fresh g_b) is answered with transport error -404. dh_gen_ok, _retry or _fail (the inner data was taken for this "
                + "handshake's), another transport error, silence or a closed connection fail; so does a refusal before, or a "
                + "server_DH_params_ok that does not decrypt. -429 anywhere: not applicable.",
        },
        new("HSK-021", Category, Should, "The older req_pq is answered like req_pq_multi: a resPQ echoing its nonce.", "§5.1",
            "req_pq (not req_pq_multi)", "a resPQ the client's checks accept", c => ResPqAcceptedAsync(c, "req_pq"))
        {
            Passes = "the answer to req_pq (the MTProto auth page's older form of req_pq_multi) is a resPQ that "
                + "HandshakeClient.OnResPq accepts, as HSK-002 asks of req_pq_multi's (its nonce echoed, the pinned key offered, pq "
                + "factoring into two primes). A transport error other than -429, silence, a closed connection, another object or a "
                + "refused resPQ fails; -429: not applicable.",
        },
        new("HSK-022", Category, Must, "A temporary key asked for with expires_in 0 is refused with -404 (expires_in must be 1 s to 1 day).", "§5.3, §5.6",
            "req_DH_params whose p_q_inner_data_temp_dc carries expires_in = 0", "-404",
            c => ReqDhRefusedAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter, TemporaryKeyExpiresIn = 0 }, -404))
        {
            Passes = "the req_DH_params whose p_q_inner_data_temp_dc carries expires_in 0 is answered with transport error -404. "
                + "server_DH_params_ok or _fail, another transport error, silence or a closed connection fail; so does a refused "
                + "req_pq_multi. -429: not applicable.",
        },
    ];

    /// <summary>The case whose requirement a handshake answer refused by the client's checks breaks.</summary>
    public static string CaseChecking(HandshakeAnswer refused) => refused switch
    {
        HandshakeAnswer.ResPq => "HSK-002",
        HandshakeAnswer.ServerDhParams => "HSK-008",
        _ => "HSK-001",
    };

    private static ConformanceCase BadReqDh(string id, string defect, Func<TlObject, TlObject> damage) =>
        new(id, Category, Must, $"req_DH_params with {defect} is refused with -404.", "§5.2, §5.6", $"req_DH_params with {defect}", "-404",
            c => ReqDhRefusedAsync(c, new HandshakeClientOptions { DataCenter = c.Target.DataCenter }, -404, damage))
        {
            Passes = $"the req_DH_params with {defect} is answered with transport error -404. server_DH_params_ok or _fail, another "
                + "transport error, silence or a closed connection fail; so does a refused req_pq_multi. -429: not applicable.",
        };

    /// <summary>
    /// One ping under a session of a key made by hand: the messages of the answer, its transport error (0 if it is not
    /// one), and the answer for evidence.
    /// </summary>
    /// <exception cref="RateLimitedException">The answer is transport error -429.</exception>
    private static async Task<(IReadOnlyList<TlObject> Messages, int Error, string Answer)> PingOnceAsync(IPacketTransport transport,
        Testbed.Protocol.Sessions.ClientSession session, CancellationToken cancel)
    {
        await transport.SendAsync(session.Encrypt(TlCodec.Testbed.Serialize(Probe.Ping(1)), true).Wire, cancel);
        byte[]? packet;
        try
        {
            packet = await transport.ReceiveAsync(cancel).WaitAsync(Probe.AnswerTimeout, cancel);
        }
        catch (TimeoutException)
        {
            return ([], 0, "no answer");
        }

        if (packet is null)
        {
            return ([], 0, "the connection was closed");
        }

        if (TransportErrors.Read(packet) is int code)
        {
            return code == TransportErrors.RateLimited ? throw new RateLimitedException("a ping under a temporary key") : ([], code, TransportErrors.Describe(code));
        }

        if (!session.TryDecrypt(packet, out _, out byte[] data))
        {
            return ([], 0, $"{packet.Length} bytes that do not decrypt under the temporary key");
        }

        try
        {
            TlObject body = TlCodec.Testbed.Deserialize(data);
            TlObject[] messages = body.Combinator.Name == "msg_container"
                ? [.. body.Get<object?[]>("messages").Cast<TlObject>().Select(m => m.Get<TlObject>("body"))]
                : [body];
            return (messages, 0, "[" + string.Join(", ", messages.Select(m => m.Combinator.Name)) + "]");
        }
        catch (TlDecodeException e)
        {
            return ([], 0, $"an unreadable message ({e.Message})");
        }
    }

    /// <summary>
    /// Step 1 as <paramref name="query"/> (req_pq_multi or req_pq, carrying the client's nonce): passes when the answer
    /// is a resPQ every check of the client accepts.
    /// </summary>
    private static async Task<CaseOutcome> ResPqAcceptedAsync(CaseContext c, string query)
    {
        await using var run = await RawHandshake.StartAsync(c);
        byte[] nonce = run.Codec.Deserialize(run.Client.Start()).Get<byte[]>("nonce");
        (byte[]? answer, int error) = await run.ExchangeAsync(run.Codec.Serialize(new TlObject(TlSchema.MTProto[query], nonce)));
        if (answer is null)
        {
            return CaseOutcome.Fail($"{query} answered with {Describe(answer, error)}");
        }

        try
        {
            run.Client.OnResPq(answer);
            return CaseOutcome.Pass($"the resPQ to {query} accepted by every client check");
        }
        catch (HandshakeException e)
        {
            return CaseOutcome.Fail($"the resPQ to {query} refused: {e.Message}");
        }
    }

    /// <summary>A handshake with these options up to req_DH_params (altered by <paramref name="damage"/>): passes when that query is answered with transport error <paramref name="code"/>.</summary>
    private static async Task<CaseOutcome> ReqDhRefusedAsync(CaseContext c, HandshakeClientOptions options, int code, Func<TlObject, TlObject>? damage = null)
    {
        await using var run = await RawHandshake.StartAsync(c, options);
        if (await run.ReqDhParamsAsync() is not { } reqDh)
        {
            return CaseOutcome.Fail("req_pq_multi refused");
        }

        byte[] query = damage is null ? reqDh : run.Codec.Serialize(damage(run.Codec.Deserialize(reqDh)));
        (byte[]? answer, int error) = await run.ExchangeAsync(query);
        return CaseOutcome.Check(error == code, $"answer to req_DH_params: {Describe(answer, error)}");
    }

    /// <summary>The p_q_inner_data_dc a correct client sends with <paramref name="reqDh"/> for DC <paramref name="dc"/>, under a new_nonce of its own.</summary>
    private static TlObject InnerDataOf(TlObject reqDh, int dc)
    {
        byte[] p = reqDh.Get<byte[]>("p"), q = reqDh.Get<byte[]>("q");
        ulong pq = (ulong)(BigEndianInteger.Read(p) * BigEndianInteger.Read(q));
        return new TlObject(TlSchema.MTProto["p_q_inner_data_dc"], BigEndianInteger.ToMinimalBytes(pq), p, q, reqDh.Get<byte[]>("nonce"),
            reqDh.Get<byte[]>("server_nonce"), RandomNumberGenerator.GetBytes(32), dc);
    }

    /// <summary><paramref name="reqDh"/> carrying RSA_PAD(<paramref name="data"/>) as its encrypted_data: data the case chose, encrypted as a client does.</summary>
    private static TlObject Encrypting(TlObject reqDh, TlObject data, RsaPublicKey key) =>
        reqDh.With("encrypted_data", RsaPad.Encrypt(TlCodec.MTProto.Serialize(data), key));

    private static byte[] Flipped(byte[] bytes)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[0] ^= 1;
        return copy;
    }

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

    /// <summary>
    /// A temporary key made over a new connection, with a session on it (no <see cref="Probe"/> can hold a key that is not
    /// the run's shared key or a permanent one), and how long ago dh_gen_ok came.
    /// </summary>
    private sealed class TemporaryKeyProbe : IAsyncDisposable
    {
        private readonly IPacketTransport _transport;
        private readonly AuthKey _key;
        private readonly Testbed.Protocol.Sessions.ClientSession _session;
        private readonly System.Diagnostics.Stopwatch _made = System.Diagnostics.Stopwatch.StartNew();

        private TemporaryKeyProbe(IPacketTransport transport, HandshakeClientDone done)
        {
            _transport = transport;
            _key = AuthKey.FromBytes(done.AuthKey);
            _session = new Testbed.Protocol.Sessions.ClientSession(_key, done.ServerSalt);
            _session.MsgIds.ClockOffset = done.ServerTimeOffset;
        }

        /// <summary>The time since dh_gen_ok arrived.</summary>
        public TimeSpan Age => _made.Elapsed;

        /// <summary>Connects and makes a key with p_q_inner_data_temp_dc and this expires_in.</summary>
        public static async Task<TemporaryKeyProbe> CreateAsync(CaseContext c, int expiresIn)
        {
            IPacketTransport transport = await c.Target.ConnectAsync(c.Cancel);
            try
            {
                HandshakeClientDone done = await Testbed.Protocol.Client.TransportHandshake.RunAsync(transport, c.Target.ServerKey,
                    new HandshakeClientOptions { DataCenter = c.Target.DataCenter, TemporaryKeyExpiresIn = expiresIn }, null, c.Cancel);
                return new TemporaryKeyProbe(transport, done);
            }
            catch
            {
                await transport.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// A ping (ping_id 1), sent again once with the new salt if the answer is bad_server_salt: whether a pong came,
        /// the transport error of the last answer (0 if none), and the answers for evidence.
        /// </summary>
        public async Task<(bool Pong, int Error, string Answers)> PingAsync(CancellationToken cancel)
        {
            var answers = new List<string>();
            for (int attempt = 0; attempt < 2; attempt++)
            {
                (IReadOnlyList<TlObject> messages, int error, string answer) = await PingOnceAsync(_transport, _session, cancel);
                answers.Add(answer);
                if (messages.Any(m => m.Combinator.Name == "pong" && m.Get<long>("ping_id") == 1))
                {
                    return (true, 0, string.Join("; ", answers));
                }

                if (messages.FirstOrDefault(m => m.Combinator.Name == "bad_server_salt") is not { } badSalt)
                {
                    return (false, error, string.Join("; ", answers));
                }

                _session.Salt = badSalt.Get<long>("new_server_salt");
            }

            return (false, 0, string.Join("; ", answers));
        }

        public async ValueTask DisposeAsync()
        {
            _key.Dispose();
            await _transport.DisposeAsync();
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
            await SendAsync(query);
            return await ReceiveAsync();
        }

        /// <summary>
        /// Sends <paramref name="query"/> twice, back to back (so the handshake takes no longer than one sent once: the
        /// server's stated lifetime may be short): the answer when both are the same <paramref name="expected"/>, byte
        /// for byte (else null), and what the two were.
        /// </summary>
        public async Task<(byte[]? Same, string Evidence)> TwiceAsync(byte[] query, string expected)
        {
            await SendAsync(query);
            await SendAsync(query);
            (byte[]? first, int e1) = await ReceiveAsync();
            (byte[]? second, int e2) = await ReceiveAsync();
            bool same = first is not null && second is not null && first.AsSpan().SequenceEqual(second);
            string evidence = same ? $"{Describe(first, e1)} both times"
                : $"{Describe(first, e1)}, then {Describe(second, e2)}{(first is not null && second is not null ? " (different bytes)" : "")}";
            return (same && Describe(first, e1) == expected ? first : null, evidence);
        }

        private Task SendAsync(byte[] query) => _transport.SendAsync(UnencryptedMessage.Build(_msgIds.Next(MsgIdSender.Client), query), _cancel);

        /// <summary>The next answer's message data, or the transport error (0: silence or a closed connection).</summary>
        private async Task<(byte[]? Answer, int Error)> ReceiveAsync()
        {
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
