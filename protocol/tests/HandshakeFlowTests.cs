using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

/// <summary>The handshake client and server state machines against each other, and the server against bad queries.</summary>
public sealed class HandshakeFlowTests
{
    private static readonly RsaKeyPair ServerKey = RsaKeyPair.Generate();

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static HandshakeServer NewServer(Func<long, bool>? taken = null, bool legacy = false, TimeProvider? clock = null, int maxPending = 100) =>
        new(new HandshakeServerOptions
        {
            RsaKeys = [ServerKey],
            DataCenters = new HashSet<int> { 1, 2 },
            IsAuthKeyIdTaken = taken ?? (_ => false),
            AcceptLegacyRsa = legacy,
            Clock = clock ?? TimeProvider.System,
            MaxPending = maxPending,
        });

    /// <summary>The answer the server sent; a refusal fails the test.</summary>
    internal static byte[] Reply(HandshakeOutcome outcome) => outcome switch
    {
        HandshakeReply reply => reply.Response,
        HandshakeCompleted completed => completed.Response,
        HandshakeTransportError error => throw new Xunit.Sdk.XunitException($"server refused with {error.Code}: {error.Reason}"),
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [InlineData(null, null)]
    [InlineData(2, null)]
    [InlineData(-2, null)]
    [InlineData(1, 3600)]
    public void Client_and_server_agree_on_a_new_key(int? dc, int? expiresIn)
    {
        // One clock for both sides, stopped 0.7 s into a second: server_time carries whole seconds, so the client's
        // offset is exactly -0.7 s however long the steps take on a busy machine.
        var clock = new ManualClock { Now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(700) };
        HandshakeServer server = NewServer(clock: clock);
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { DataCenter = dc, TemporaryKeyExpiresIn = expiresIn, Clock = clock });
        byte[] reqDh = client.OnResPq(Reply(server.Handle(client.Start())));
        byte[] setDh = client.OnServerDhParams(Reply(server.Handle(reqDh)));
        var completed = Assert.IsType<HandshakeCompleted>(server.Handle(setDh));
        var done = Assert.IsType<HandshakeClientDone>(client.OnDhGen(completed.Response));

        Assert.Equal(completed.AuthKey, done.AuthKey);
        Assert.Equal(completed.ServerSalt, done.ServerSalt);
        Assert.Equal(expiresIn is null ? dc : dc ?? 1, completed.DataCenter);
        Assert.Equal(expiresIn, completed.ExpiresInSeconds);
        Assert.Equal(TimeSpan.FromMilliseconds(-700), done.ServerTimeOffset);
    }

    [Theory]
    [InlineData(0.2, 0.2)]     // the server's msg_id says 0.2 s ahead: taken, to the microsecond
    [InlineData(-1.5, -1.5)]
    [InlineData(10.0, -0.7)]   // 10 s from what server_time said: the msg_id is not the server's clock, kept out
    public void The_offset_comes_from_the_server_msg_id_when_it_agrees_with_server_time(double msgIdAhead, double expected)
    {
        var receivedAt = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var done = new HandshakeClientDone(new byte[256], 1, TimeSpan.FromSeconds(-0.7));
        long serverMsgId = (MsgId.FromTime(receivedAt.AddSeconds(msgIdAhead)) & ~3L) | 1;
        TimeSpan offset = done.WithOffsetFromServerMsgId(serverMsgId, receivedAt).ServerTimeOffset;
        Assert.InRange(offset.TotalSeconds, expected - 1e-6, expected + 1e-6);
    }

    [Fact]
    public void Identical_re_sent_queries_get_identical_answers_and_no_second_key()
    {
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqPq = client.Start();
        byte[] resPq = Reply(server.Handle(reqPq));
        Assert.Equal(resPq, Reply(server.Handle(reqPq)));

        byte[] reqDh = client.OnResPq(resPq);
        byte[] serverDh = Reply(server.Handle(reqDh));
        Assert.Equal(serverDh, Reply(server.Handle(reqDh)));

        byte[] setDh = client.OnServerDhParams(serverDh);
        var completed = Assert.IsType<HandshakeCompleted>(server.Handle(setDh));
        var again = Assert.IsType<HandshakeReply>(server.Handle(setDh));
        Assert.Equal(completed.Response, again.Response);
    }

    [Fact]
    public void A_taken_auth_key_id_leads_to_a_retry_with_the_previous_aux_hash()
    {
        int calls = 0;
        HandshakeServer server = NewServer(taken: _ => calls++ == 0);
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] setDh = client.OnServerDhParams(Reply(server.Handle(client.OnResPq(Reply(server.Handle(client.Start()))))));
        var retry = Assert.IsType<HandshakeClientRetry>(client.OnDhGen(Reply(server.Handle(setDh))));
        var completed = Assert.IsType<HandshakeCompleted>(server.Handle(retry.Query));
        Assert.Equal(completed.AuthKey, Assert.IsType<HandshakeClientDone>(client.OnDhGen(completed.Response)).AuthKey);
        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.NoGARangeCheck, true)]
    public void A_g_a_outside_the_safe_range_stops_the_handshake_unless_the_fault_allows_it(ClientFaults faults, bool goesOn)
    {
        // The test holds the server's private key, so it opens req_DH_params for new_nonce and re-seals the server's
        // answer with g_a = 2: a valid answer in every other respect.
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { Faults = faults });
        byte[] reqDhBytes = client.OnResPq(Reply(server.Handle(client.Start())));
        TlObject reqDh = TlCodec.MTProto.Deserialize(reqDhBytes);
        byte[] padded = new byte[RsaPad.PaddedLength];
        Assert.True(RsaPad.TryDecrypt(reqDh.Get<byte[]>("encrypted_data"), ServerKey, padded));
        var reader = new TlReader(padded);
        byte[] newNonce = TlCodec.MTProto.ReadBoxed(ref reader, "P_Q_inner_data").Get<byte[]>("new_nonce");
        TlObject answer = TlCodec.MTProto.Deserialize(Reply(server.Handle(reqDhBytes)));
        byte[] tmpKey = new byte[32], tmpIv = new byte[32];
        TmpAesKey.Derive(newNonce, answer.Get<byte[]>("server_nonce"), tmpKey, tmpIv);
        TlObject inner = EncryptedAnswer.TryDecrypt(tmpKey, tmpIv, answer.Get<byte[]>("encrypted_answer"), TlCodec.MTProto, "Server_DH_inner_data")!;
        byte[] tampered = TlCodec.MTProto.Serialize(answer.With("encrypted_answer",
            EncryptedAnswer.Encrypt(tmpKey, tmpIv, TlCodec.MTProto.Serialize(inner.With("g_a", new byte[] { 2 })))));

        if (goesOn)
        {
            Assert.Equal("set_client_DH_params", TlCodec.MTProto.Deserialize(client.OnServerDhParams(tampered)).Combinator.Name);
        }
        else
        {
            Assert.Contains("g_a", Assert.Throws<HandshakeException>(() => client.OnServerDhParams(tampered)).Message);
        }
    }

    [Fact]
    public async Task A_server_that_answers_dh_gen_retry_forever_is_given_up_after_five_retries()
    {
        var server = new HandshakeServer(new HandshakeServerOptions { RsaKeys = [ServerKey], IsAuthKeyIdTaken = _ => true });
        await using var transport = new HandshakeServerTransport(server);
        HandshakeException refusal = await Assert.ThrowsAsync<HandshakeException>(() =>
            TransportHandshake.RunAsync(transport, ServerKey.PublicKey, null, null, CancellationToken.None));
        Assert.Contains("dh_gen_retry", refusal.Message);
        Assert.Equal(3 + 5, transport.Exchanges); // req_pq, req_DH_params, set_client_DH_params, then five retries
    }

    [Theory]
    [InlineData(1009UL * 1000003 * 1000033)] // three primes: Pollard's rho splits it into 1009 and a composite
    [InlineData(1000003UL * 1000003)] // a square: the two primes are one
    public void A_pq_that_is_not_two_distinct_primes_stops_the_handshake(ulong pq)
    {
        var client = new HandshakeClient([ServerKey.PublicKey]);
        TlObject resPq = TlCodec.MTProto.Deserialize(Reply(NewServer().Handle(client.Start())));
        byte[] bent = TlCodec.MTProto.Serialize(resPq.With("pq", BigEndianInteger.ToMinimalBytes(pq)));
        Assert.Contains("two distinct primes", Assert.Throws<HandshakeException>(() => client.OnResPq(bent)).Message);
    }

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.AcceptAnyDhPrime, true)]
    public void A_dh_prime_that_is_not_a_safe_prime_stops_the_handshake_unless_the_fault_allows_it(ClientFaults faults, bool completes)
    {
        // Odd, 2048 bits, divisible by 3 (the published prime is 2 mod 3); g = 4 passes the generator check for any p.
        var server = new HandshakeServer(new HandshakeServerOptions { RsaKeys = [ServerKey], DhPrime = DhGroup.PublishedPrime + 4, Generator = 4 });
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { Faults = faults });
        byte[] dhParams = Reply(server.Handle(client.OnResPq(Reply(server.Handle(client.Start())))));
        if (!completes)
        {
            Assert.Contains("dh_prime", Assert.Throws<HandshakeException>(() => client.OnServerDhParams(dhParams)).Message);
            return;
        }

        var completed = Assert.IsType<HandshakeCompleted>(server.Handle(client.OnServerDhParams(dhParams)));
        Assert.Equal(completed.AuthKey, Assert.IsType<HandshakeClientDone>(client.OnDhGen(completed.Response)).AuthKey);
    }

    [Theory]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 2 })]
    public void A_g_b_outside_the_safe_range_gets_dh_gen_fail(byte[] gB)
    {
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { ReplaceGB = _ => gB });
        byte[] setDh = client.OnServerDhParams(Reply(server.Handle(client.OnResPq(Reply(server.Handle(client.Start()))))));
        byte[] answer = Reply(server.Handle(setDh));
        Assert.Equal("dh_gen_fail", TlCodec.MTProto.Deserialize(answer).Combinator.Name);
    }

    [Fact]
    public void An_unserved_dc_gets_minus_444_and_the_rest_of_the_handshake_minus_404()
    {
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { DataCenter = 7 });
        byte[] reqDh = client.OnResPq(Reply(server.Handle(client.Start())));
        Assert.Equal(-444, Assert.IsType<HandshakeTransportError>(server.Handle(reqDh)).Code);
        Assert.Equal(-404, Assert.IsType<HandshakeTransportError>(server.Handle(reqDh)).Code);
    }

    [Fact]
    public void Legacy_rsa_is_refused_unless_switched_on()
    {
        var client = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { UseLegacyRsa = true });
        HandshakeServer strict = NewServer();
        byte[] reqDh = client.OnResPq(Reply(strict.Handle(client.Start())));
        Assert.Equal(-404, Assert.IsType<HandshakeTransportError>(strict.Handle(reqDh)).Code);

        HandshakeServer legacy = NewServer(legacy: true);
        var legacyClient = new HandshakeClient([ServerKey.PublicKey], new HandshakeClientOptions { UseLegacyRsa = true });
        byte[] setDh = legacyClient.OnServerDhParams(Reply(legacy.Handle(legacyClient.OnResPq(Reply(legacy.Handle(legacyClient.Start()))))));
        Assert.IsType<HandshakeCompleted>(legacy.Handle(setDh));
    }

    public static TheoryData<string, Func<TlObject, TlObject>> TamperedReqDhParams() => new()
    {
        { "wrong server_nonce", q => With(q, "server_nonce", new byte[16]) },
        { "non-minimal p", q => With(q, "p", (byte[])[0, .. q.Get<byte[]>("p")]) },
        { "swapped p and q", q => With(With(q, "p", q.Get<byte[]>("q")), "q", q.Get<byte[]>("p")) },
        { "unknown fingerprint", q => With(q, "public_key_fingerprint", q.Get<long>("public_key_fingerprint") ^ 1) },
        { "altered encrypted_data", q => With(q, "encrypted_data", Flip(q.Get<byte[]>("encrypted_data"), 200)) },
        { "short encrypted_data", q => With(q, "encrypted_data", q.Get<byte[]>("encrypted_data")[..255]) },
    };

    [Theory]
    [MemberData(nameof(TamperedReqDhParams))]
    public void A_tampered_req_DH_params_gets_minus_404_and_poisons_the_handshake(string name, Func<TlObject, TlObject> tamper)
    {
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(Reply(server.Handle(client.Start())));
        byte[] tampered = TlCodec.MTProto.Serialize(tamper(TlCodec.MTProto.Deserialize(reqDh)));
        Assert.True(server.Handle(tampered) is HandshakeTransportError { Code: -404 }, name);
        if (name != "wrong server_nonce")
        {
            Assert.True(server.Handle(reqDh) is HandshakeTransportError { Code: -404 }, $"{name}: the genuine query after it");
        }
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("ec77be7a0100000000000000")] // ping: not a handshake query
    [InlineData("f18e7ebe0102")] // truncated req_pq_multi
    public void Malformed_or_foreign_queries_get_minus_404(string hex) =>
        Assert.Equal(-404, Assert.IsType<HandshakeTransportError>(NewServer().Handle(Convert.FromHexString(hex))).Code);

    [Fact]
    public void Unfinished_handshakes_expire()
    {
        var clock = new ManualClock();
        HandshakeServer server = NewServer(clock: clock);
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(Reply(server.Handle(client.Start())));
        clock.Now += TimeSpan.FromMinutes(11);
        Assert.Equal(-404, Assert.IsType<HandshakeTransportError>(server.Handle(reqDh)).Code);
        Assert.Equal(0, server.PendingCount);
    }

    [Fact]
    public void Pending_handshakes_are_bounded_with_minus_429()
    {
        HandshakeServer server = NewServer(maxPending: 3);
        for (int i = 0; i < 3; i++)
        {
            Assert.IsType<HandshakeReply>(server.Handle(new HandshakeClient([ServerKey.PublicKey]).Start()));
        }

        Assert.Equal(-429, Assert.IsType<HandshakeTransportError>(server.Handle(new HandshakeClient([ServerKey.PublicKey]).Start())).Code);
    }

    [Fact]
    public void The_client_refuses_a_server_whose_key_is_not_pinned()
    {
        using RsaKeyPair other = RsaKeyPair.Generate();
        HandshakeServer server = NewServer();
        var client = new HandshakeClient([other.PublicKey]);
        var error = Assert.Throws<HandshakeException>(() => client.OnResPq(Reply(server.Handle(client.Start()))));
        Assert.Contains("pinned", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unencrypted_messages_round_trip_and_refuse_bad_lengths()
    {
        byte[] wire = UnencryptedMessage.Build(0x1234_5678_0000_0004, [1, 2, 3, 4]);
        Assert.True(UnencryptedMessage.TryRead(wire, out long msgId, out int length));
        Assert.Equal((0x1234_5678_0000_0004, 4), (msgId, length));
        Assert.False(UnencryptedMessage.TryRead(wire.AsSpan(0, wire.Length - 1), out _, out _));
        Assert.False(UnencryptedMessage.TryRead([.. wire, 0], out _, out _));
        Assert.True(UnencryptedMessage.TryRead([.. wire, 0], out _, out _, allowTrailing: true));
        wire[0] = 1;
        Assert.False(UnencryptedMessage.TryRead(wire, out _, out _));
    }

    private static TlObject With(TlObject value, string field, object replacement)
    {
        object?[] values = value.Values.ToArray();
        values[value.Combinator.IndexOf(field)] = replacement;
        return new TlObject(value.Combinator, values);
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index] ^= 1;
        return copy;
    }

    /// <summary>A packet transport whose far end is a <see cref="HandshakeServer"/>: each packet sent gets its reply.</summary>
    private sealed class HandshakeServerTransport(HandshakeServer server) : Client.IPacketTransport
    {
        private readonly MsgIdGenerator _msgIds = new();
        private byte[]? _reply;

        public int Exchanges { get; private set; }

        public Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
        {
            Assert.True(UnencryptedMessage.TryRead(packet.Span, out _, out int length));
            Exchanges++;
            _reply = UnencryptedMessage.Build(_msgIds.Next(MsgIdSender.ServerResponse),
                Reply(server.Handle(packet.Span.Slice(UnencryptedMessage.HeaderSize, length))));
            return Task.CompletedTask;
        }

        public Task<byte[]?> ReceiveAsync(CancellationToken cancel = default) => Task.FromResult(_reply);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
