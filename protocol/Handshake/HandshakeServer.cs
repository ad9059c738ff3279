using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Numerics;
using System.Security.Cryptography;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The server side of auth-key creation (docs/protocol.md §5) as a transport-free state machine: feed it the
/// message_data of each unencrypted handshake message, send back what it decides. Each step is a named method with
/// its checks; any failed check answers -404 and poisons that handshake, so every later query of it gets -404 too.
/// An identical re-sent query gets the identical answer. Thread-safe; handshakes run in parallel.
/// </summary>
public sealed class HandshakeServer
{
    private readonly HandshakeServerOptions _options;
    private readonly TlCodec _codec = TlCodec.MTProto;
    private readonly TlSchema _schema = TlSchema.MTProto;
    private readonly IPendingHandshakeStore _store;
    private readonly Queue<DateTimeOffset> _begun = new();

    // How often one step may find its handshake replaced under it before it gives up: a handshake has three steps,
    // so more races than that are a client (or an attacker) sending many copies at once.
    private const int MaxStepAttempts = 4;
    private readonly byte[] _primeBytes;

    /// <summary>Creates a handshake server.</summary>
    public HandshakeServer(HandshakeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RsaKeys.Count == 0)
        {
            throw new ArgumentException("At least one RSA key is needed.", nameof(options));
        }

        _options = options;
        _store = options.PendingStore ?? new InMemoryPendingHandshakeStore(options.Clock);
        _primeBytes = BigEndianInteger.ToBytes(options.DhPrime, DhExchange.Size);
    }

    /// <summary>
    /// Handshakes this server began within the pending lifetime: those its store keeps now (unfinished, or finished
    /// and kept for identical re-sends).
    /// </summary>
    public int PendingCount
    {
        get
        {
            lock (_begun)
            {
                ForgetExpiredBegun(_options.Clock.GetUtcNow());
                return _begun.Count;
            }
        }
    }

    /// <summary>Handles the message_data of one unencrypted handshake message.</summary>
    public HandshakeOutcome Handle(ReadOnlySpan<byte> messageData)
    {
        TlObject query;
        try
        {
            query = _codec.Deserialize(messageData);
        }
        catch (TlDecodeException e)
        {
            return Refuse($"malformed query: {e.Message}");
        }

        try
        {
            return query.Combinator.Name switch
            {
                "req_pq_multi" => RequestPq(query, messageData),
                "req_pq" when _options.AnswerReqPq => RequestPq(query, messageData),
                "req_DH_params" => WithPending(query, messageData, RequestDhParams),
                "set_client_DH_params" => WithPending(query, messageData, SetClientDhParams),
                _ => Refuse($"{query.Combinator.Name} is not a handshake query"),
            };
        }
        catch (IOException e)
        {
            return Refuse($"{query.Combinator.Name}: the pending handshakes cannot be reached ({e.Message})");
        }
    }

    // Step 1: req_pq_multi -> resPQ with a fresh server_nonce and pq.
    private HandshakeOutcome RequestPq(TlObject query, ReadOnlySpan<byte> raw)
    {
        byte[] nonce = query.Get<byte[]>("nonce");
        if (_store.FindServerNonce(nonce) is { } existing)
        {
            // A re-sent req_pq_multi gets its resPQ again; another query with a nonce in use ends that handshake.
            byte[] rawCopy = raw.ToArray();
            return Step(existing, "req_pq_multi", pending =>
                (HandshakeOutcome?)pending.Replay(rawCopy) ?? Refuse("req_pq_multi re-sent with a nonce already in use", pending));
        }

        if (!TryBegin())
        {
            return new HandshakeTransportError(-429, $"{_options.MaxPending} handshakes pending");
        }

        (ulong pq, uint p, uint q) = Pq.Generate();
        var pending = new PendingHandshake(nonce, RandomNumberGenerator.GetBytes(16), pq, p, q, _options.Clock.GetUtcNow());
        long[] fingerprints = _options.RsaKeys.Select(k => k.PublicKey.Fingerprint).ToArray();
        byte[] response = _codec.Serialize(new TlObject(_schema["resPQ"], _options.EchoClientNonce ? nonce : pending.ServerNonce, pending.ServerNonce,
            BigEndianInteger.ToMinimalBytes(pq), fingerprints));
        pending.Remember(raw, response);

        // Two copies of one req_pq_multi can race to two nodes: the store lets one of them begin the handshake.
        return _store.TryAdd(nonce, pending.ServerNonce, pending.ToRecord(), _options.PendingLifetime)
            ? new HandshakeReply(response)
            : Refuse("req_pq_multi sent twice at once with one nonce");
    }

    // Step 2: req_DH_params -> server_DH_params_ok carrying g, dh_prime, g_a under the temporary key.
    private HandshakeOutcome RequestDhParams(TlObject query, PendingHandshake pending)
    {
        if (pending.Stage != HandshakeStage.PqSent)
        {
            return Refuse("req_DH_params out of order", pending);
        }

        if (!_options.CheckFactorValues || !_options.CheckFactorEncoding)
        {
            query = query.With("p", LaxFactor(query.Get<byte[]>("p"), pending.P)).With("q", LaxFactor(query.Get<byte[]>("q"), pending.Q));
        }

        if (!pending.Matches(query)
            || !query.Get<byte[]>("p").AsSpan().SequenceEqual(BigEndianInteger.ToMinimalBytes(pending.P))
            || !query.Get<byte[]>("q").AsSpan().SequenceEqual(BigEndianInteger.ToMinimalBytes(pending.Q)))
        {
            return Refuse("req_DH_params: nonce, server_nonce, p or q differ from resPQ (or are not minimal)", pending);
        }

        RsaKeyPair? key = _options.RsaKeys.FirstOrDefault(k => k.PublicKey.Fingerprint == query.Get<long>("public_key_fingerprint"))
            ?? (_options.CheckKeyFingerprint ? null : _options.RsaKeys[0]);
        if (key is null)
        {
            return Refuse("req_DH_params: unknown public_key_fingerprint", pending);
        }

        TlObject? inner = DecryptInnerData(query.Get<byte[]>("encrypted_data"), key, out bool padValid);
        if (inner is null)
        {
            if (!_options.RefuseUnreadableInnerData || (padValid && !_options.RefuseForeignInnerData))
            {
                pending.Poison();
                return new HandshakeReply(_codec.Serialize(new TlObject(_schema["server_DH_params_fail"], pending.Nonce, pending.ServerNonce, new byte[16])));
            }

            return Refuse("req_DH_params: encrypted_data does not decrypt to p_q_inner_data", pending);
        }

        if (_options.CheckInnerData && (!pending.Matches(inner)
            || !inner.Get<byte[]>("pq").AsSpan().SequenceEqual(BigEndianInteger.ToMinimalBytes(pending.PqValue))
            || !inner.Get<byte[]>("p").AsSpan().SequenceEqual(BigEndianInteger.ToMinimalBytes(pending.P))
            || !inner.Get<byte[]>("q").AsSpan().SequenceEqual(BigEndianInteger.ToMinimalBytes(pending.Q))))
        {
            return Refuse("p_q_inner_data: nonce, server_nonce, pq, p or q differ", pending);
        }

        if (inner.Combinator.IndexOf("dc") >= 0)
        {
            int dc = inner.Get<int>("dc");
            if (_options.CheckDataCenter && !_options.DataCenters.Contains(Math.Abs(dc)))
            {
                pending.Poison();
                return new HandshakeTransportError(-444, $"DC {dc} is not served here");
            }

            pending.DataCenter = dc;
        }

        if (inner.Combinator.IndexOf("expires_in") >= 0)
        {
            int expiresIn = inner.Get<int>("expires_in");
            if ((expiresIn <= 0 && _options.CheckTemporaryKeyMinimum) || expiresIn > _options.MaxTemporaryKeySeconds)
            {
                return Refuse($"p_q_inner_data_temp_dc: expires_in {expiresIn} outside 1..{_options.MaxTemporaryKeySeconds}", pending);
            }

            pending.ExpiresIn = expiresIn;
        }

        pending.NewNonce = inner.Get<byte[]>("new_nonce");
        return new HandshakeReply(ServerDhParamsOk(pending));
    }

    private byte[] ServerDhParamsOk(PendingHandshake pending)
    {
        BigInteger a;
        byte[] gA;
        do
        {
            a = BigEndianInteger.Read(RandomNumberGenerator.GetBytes(DhExchange.Size));
            gA = DhExchange.PublicValue(_options.Generator, a, _options.DhPrime);
        }
        while (DhChecks.CheckPublicValue(BigEndianInteger.Read(gA), _options.DhPrime) != DhCheck.Ok);

        pending.Secret = a;
        TmpAesKey.Derive(pending.NewNonce, pending.ServerNonce, pending.TmpKey, pending.TmpIv);
        int serverTime = (int)_options.Clock.GetUtcNow().ToUnixTimeSeconds();
        byte[] answer = _codec.Serialize(new TlObject(_schema["server_DH_inner_data"], pending.Nonce, pending.ServerNonce,
            _options.Generator, _primeBytes, gA, serverTime));
        byte[] encrypted = EncryptedAnswer.Encrypt(pending.TmpKey, pending.TmpIv, answer);
        pending.Stage = HandshakeStage.DhParamsSent;
        return _codec.Serialize(new TlObject(_schema["server_DH_params_ok"], pending.Nonce, pending.ServerNonce, encrypted));
    }

    // Step 3: set_client_DH_params -> dh_gen_ok (a new key), dh_gen_retry (its id is taken) or dh_gen_fail (bad g_b).
    private HandshakeOutcome SetClientDhParams(TlObject query, PendingHandshake pending)
    {
        if (pending.Stage != HandshakeStage.DhParamsSent)
        {
            return Refuse("set_client_DH_params out of order", pending);
        }

        if (!pending.Matches(query))
        {
            return Refuse("set_client_DH_params: nonce or server_nonce differ", pending);
        }

        TlObject? inner = EncryptedAnswer.TryDecrypt(pending.TmpKey, pending.TmpIv, query.Get<byte[]>("encrypted_data"), _codec,
            "Client_DH_Inner_Data");
        if (inner is null || (_options.CheckClientInnerData && !pending.Matches(inner)))
        {
            return Refuse("set_client_DH_params: encrypted_data is not a client_DH_inner_data of this handshake", pending);
        }

        if (_options.CheckRetryId && inner.Get<long>("retry_id") != pending.ExpectedRetryId)
        {
            return Finish(pending, "dh_gen_fail", 3, pending.ExpectedRetryId, "retry_id is not the previous attempt's aux_hash");
        }

        BigInteger gB = BigEndianInteger.Read(inner.Get<byte[]>("g_b"));
        if (_options.CheckClientPublicValue && DhChecks.CheckPublicValue(gB, _options.DhPrime) is var check && check != DhCheck.Ok)
        {
            return Finish(pending, "dh_gen_fail", 3, pending.ExpectedRetryId, $"g_b refused: {check}");
        }

        byte[] authKey = DhExchange.SharedKey(gB, pending.Secret, _options.DhPrime);
        using var key = AuthKey.FromBytes(authKey);
        if (_options.IsAuthKeyIdTaken(key.Id))
        {
            pending.ExpectedRetryId = key.AuxHash;
            CryptographicOperations.ZeroMemory(authKey);
            return Finish(pending, "dh_gen_retry", 2, key.AuxHash, null);
        }

        HandshakeReply ok = Finish(pending, "dh_gen_ok", 1, key.AuxHash, null);
        pending.Secret = BigInteger.Zero;
        return new HandshakeCompleted(ok.Response, authKey, InitialSalt.Compute(pending.NewNonce, pending.ServerNonce),
            pending.DataCenter, pending.ExpiresIn);
    }

    private HandshakeReply Finish(PendingHandshake pending, string answer, int hashNumber, long auxHash, string? failure)
    {
        byte[] hash = new byte[NewNonceHash.Size];
        Span<byte> aux = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(aux, auxHash);
        NewNonceHash.Compute(pending.NewNonce, hashNumber, aux, hash);
        pending.Stage = hashNumber switch
        {
            1 => HandshakeStage.Done,
            2 => HandshakeStage.DhParamsSent,
            _ => HandshakeStage.Failed,
        };
        if (failure is not null)
        {
            pending.FailureReason = failure;
        }

        return new HandshakeReply(_codec.Serialize(new TlObject(_schema[answer], pending.Nonce, pending.ServerNonce, hash)));
    }

    // padValid: whether RSA_PAD's hash matched (the content can still be no p_q_inner_data).
    private TlObject? DecryptInnerData(byte[] encrypted, RsaKeyPair key, out bool padValid)
    {
        byte[] padded = new byte[RsaPad.PaddedLength];
        padValid = RsaPad.TryDecrypt(encrypted, key, padded);
        if (padValid)
        {
            return ReadInnerData(padded, out _);
        }

        if (!_options.AcceptLegacyRsa)
        {
            return null;
        }

        // LEGACY: SHA1 | data | padding. The data must be parsed before the hash can be checked (§5.2).
        byte[] block = new byte[RsaLegacyEncoding.BlockLength];
        if (!RsaLegacyEncoding.TryDecrypt(encrypted, key, block))
        {
            return null;
        }

        TlObject? inner = ReadInnerData(block.AsSpan(20), out int length);
        return inner is not null && RsaLegacyEncoding.HashMatches(block, length) ? inner : null;
    }

    private TlObject? ReadInnerData(ReadOnlySpan<byte> data, out int length)
    {
        var reader = new TlReader(data);
        length = 0;
        try
        {
            TlObject inner = _codec.ReadBoxed(ref reader, "P_Q_inner_data");
            length = reader.Position;
            return inner;
        }
        catch (TlDecodeException)
        {
            return null;
        }
    }

    private HandshakeOutcome WithPending(TlObject query, ReadOnlySpan<byte> raw, Func<TlObject, PendingHandshake, HandshakeOutcome> step)
    {
        string name = query.Combinator.Name;
        byte[] serverNonce = query.Get<byte[]>("server_nonce");
        if (!_options.CheckServerNonce && _store.Find(serverNonce) is null && _store.FindServerNonce(query.Get<byte[]>("nonce")) is { } byNonce)
        {
            (query, serverNonce) = (query.With("server_nonce", byNonce), byNonce);
        }

        byte[] rawCopy = raw.ToArray();
        return Step(serverNonce, name, pending =>
        {
            if (pending.Created < _options.Clock.GetUtcNow() - _options.PendingLifetime)
            {
                return Refuse($"{name}: the handshake expired", pending);
            }

            if (_options.ReplayResentQueries && pending.Replay(rawCopy) is { } replay)
            {
                return replay;
            }

            if (pending.Stage == HandshakeStage.Poisoned)
            {
                return Refuse($"{name}: this handshake already failed");
            }

            HandshakeOutcome outcome = step(query, pending);
            switch (outcome)
            {
                case HandshakeReply reply:
                    pending.Remember(rawCopy, reply.Response);
                    break;
                case HandshakeCompleted completed:
                    pending.Remember(rawCopy, completed.Response);
                    break;
            }

            return outcome;
        });
    }

    /// <summary>
    /// Runs one step on the handshake kept under <paramref name="serverNonce"/>: reads its record, runs
    /// <paramref name="run"/> on it, and writes it back unless another step (on this server or another node of a
    /// cluster) replaced it meanwhile; then it runs again on the newer state, so an identical re-send that raced the
    /// first copy gets the first copy's answer. The record is written back even when the step refused the query, since
    /// a refusal poisons the handshake.
    /// </summary>
    private HandshakeOutcome Step(byte[] serverNonce, string name, Func<PendingHandshake, HandshakeOutcome> run)
    {
        for (int attempt = 0; attempt < MaxStepAttempts; attempt++)
        {
            if (_store.Find(serverNonce) is not { } stored)
            {
                return Refuse($"{name}: unknown or expired server_nonce");
            }

            PendingHandshake? pending = PendingHandshake.FromRecord(stored.Record);
            CryptographicOperations.ZeroMemory(stored.Record);
            if (pending is null)
            {
                return Refuse($"{name}: the stored handshake is unreadable");
            }

            try
            {
                HandshakeOutcome outcome = run(pending);
                byte[] record = pending.ToRecord();
                if (_store.TryReplace(serverNonce, stored.Version, record))
                {
                    return outcome;
                }

                // Another step replaced the record first, and the next attempt runs on its state: what this attempt
                // made (a record with the DH secret, perhaps an auth key) goes nowhere, so it is wiped here.
                CryptographicOperations.ZeroMemory(record);
                if (outcome is HandshakeCompleted lost)
                {
                    CryptographicOperations.ZeroMemory(lost.AuthKey);
                }
            }
            finally
            {
                pending.Wipe();
            }
        }

        return Refuse($"{name}: {MaxStepAttempts} steps of this handshake raced this one");
    }

    private HandshakeTransportError Refuse(string reason, PendingHandshake? pending = null)
    {
        if (_options.PoisonRefusedHandshakes)
        {
            pending?.Poison();
        }

        return new HandshakeTransportError(-404, reason);
    }

    // Counts a new handshake against MaxPending.
    private bool TryBegin()
    {
        DateTimeOffset now = _options.Clock.GetUtcNow();
        lock (_begun)
        {
            ForgetExpiredBegun(now);
            if (_begun.Count >= _options.MaxPending)
            {
                return false;
            }

            _begun.Enqueue(now);
            return true;
        }
    }

    private void ForgetExpiredBegun(DateTimeOffset now)
    {
        while (_begun.TryPeek(out DateTimeOffset begun) && begun <= now - _options.PendingLifetime)
        {
            _begun.Dequeue();
        }
    }

    // p or q as a server with CheckFactorValues or CheckFactorEncoding off reads it: the expected bytes when it passes that lax check.
    private byte[] LaxFactor(byte[] sent, uint expected) =>
        (!_options.CheckFactorValues && BigEndianInteger.IsMinimal(sent)) || (!_options.CheckFactorEncoding && BigEndianInteger.Read(sent) == expected)
            ? BigEndianInteger.ToMinimalBytes(expected)
            : sent;
}
