using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The client side of auth-key creation (docs/protocol.md §5), transport-free: each method takes the server's
/// answer (message_data of an unencrypted message) and returns the next query, after every check a careful client
/// makes; a failed check throws <see cref="HandshakeException"/> naming it. One instance per attempt; not
/// thread-safe.
/// </summary>
public sealed class HandshakeClient
{
    // A fresh g_b misses the margins with probability about 2^-63 for a real 2048-bit prime; many misses mean a tiny
    // group (only reachable through ClientFaults.AcceptAnyDhPrime), where the loop must still end.
    private const int MaxGBAttempts = 64;

    /// <summary>How many b the drop-key-leading-zero fault tries for a key that begins with a zero byte (it takes 256 on average).</summary>
    private const int MaxLeadingZeroAttempts = 4096;

    private readonly IReadOnlyList<RsaPublicKey> _serverKeys;
    private readonly HandshakeClientOptions _options;
    private readonly TlCodec _codec = TlCodec.MTProto;
    private readonly TlSchema _schema = TlSchema.MTProto;
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _newNonce = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _tmpKey = new byte[32];
    private readonly byte[] _tmpIv = new byte[32];
    private byte[] _serverNonce = [];
    private BigInteger _prime;
    private BigInteger _gA;
    private int _g;
    private long _retryId;
    private BigInteger _secret;
    private byte[] _authKey = [];
    private TimeSpan _timeOffset;

    // The answer the checks are reading now: a refusal names it (HandshakeException.Refused).
    private HandshakeAnswer _checking;

    /// <summary>Creates a client that trusts <paramref name="serverKeys"/> (pinned, never taken from the server).</summary>
    public HandshakeClient(IReadOnlyList<RsaPublicKey> serverKeys, HandshakeClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(serverKeys);
        _serverKeys = serverKeys;
        _options = options ?? new HandshakeClientOptions();
    }

    /// <summary>Step 1: req_pq_multi.</summary>
    public byte[] Start() => _codec.Serialize(new TlObject(_schema["req_pq_multi"], _nonce));

    /// <summary>Step 2: checks resPQ, factors pq, returns req_DH_params.</summary>
    public byte[] OnResPq(ReadOnlySpan<byte> response)
    {
        _checking = HandshakeAnswer.ResPq;
        TlObject resPq = Read(response, "ResPQ");
        Require(resPq.Get<byte[]>("nonce").AsSpan().SequenceEqual(_nonce), "resPQ: nonce differs from ours");
        _serverNonce = resPq.Get<byte[]>("server_nonce");
        byte[] pqBytes = resPq.Get<byte[]>("pq");
        Require(pqBytes.Length is > 0 and <= 8 && BigEndianInteger.IsMinimal(pqBytes), "resPQ: pq is not a minimal 64-bit number");
        ulong pq = (ulong)BigEndianInteger.Read(pqBytes);
        Require(pq < 1UL << 63 && pq > 3, "resPQ: pq out of range");
        (ulong p, ulong q) = FactorOrFail(pq);
        Require(Pq.IsPrime(p) && Pq.IsPrime(q) && p != q, $"resPQ: pq {pq} is not the product of two distinct primes");

        long[] offered = resPq.Get<long[]>("server_public_key_fingerprints");
        RsaPublicKey key = _serverKeys.FirstOrDefault(k => offered.Any(f => SameFingerprint(f, k.Fingerprint)))
            ?? throw new HandshakeException(_checking, "resPQ: none of the offered key fingerprints is pinned");

        byte[] pBytes = BigEndianInteger.ToMinimalBytes(p), qBytes = BigEndianInteger.ToMinimalBytes(q);
        TlObject inner = _options switch
        {
            { TemporaryKeyExpiresIn: int expires } => new TlObject(_schema["p_q_inner_data_temp_dc"], pqBytes, pBytes, qBytes, _nonce,
                _serverNonce, _newNonce, _options.DataCenter ?? 1, expires),
            { DataCenter: int dc } => new TlObject(_schema["p_q_inner_data_dc"], pqBytes, pBytes, qBytes, _nonce, _serverNonce, _newNonce, dc),
            _ => new TlObject(_schema["p_q_inner_data"], pqBytes, pBytes, qBytes, _nonce, _serverNonce, _newNonce),
        };
        byte[] data = _codec.Serialize(inner);
        byte[] encrypted = _options.UseLegacyRsa ? RsaLegacyEncoding.Encrypt(data, key) : RsaPad.Encrypt(data, key);
        return _codec.Serialize(new TlObject(_schema["req_DH_params"], _nonce, _serverNonce, pBytes, qBytes, key.Fingerprint, encrypted));
    }

    /// <summary>Whether an offered fingerprint names a pinned key: equal 64-bit values, or under the fault, equal hex as a faulty lookup writes it.</summary>
    private bool SameFingerprint(long offered, long pinned) => Skips(ClientFaults.UnpaddedFingerprintLookup)
        ? ((ulong)offered).ToString("x", CultureInfo.InvariantCulture) == ((ulong)pinned).ToString("x16", CultureInfo.InvariantCulture)
        : offered == pinned;

    /// <summary>Step 3: checks server_DH_params_ok and every DH value, returns set_client_DH_params.</summary>
    public byte[] OnServerDhParams(ReadOnlySpan<byte> response)
    {
        _checking = HandshakeAnswer.ServerDhParams;
        TlObject answer = Read(response, "Server_DH_Params");
        CheckNonces(answer, "server_DH_params");
        Require(answer.Combinator.Name == "server_DH_params_ok", "server_DH_params_fail received");

        TmpAesKey.Derive(_newNonce, _serverNonce, _tmpKey, _tmpIv);
        TlObject inner = EncryptedAnswer.TryDecrypt(_tmpKey, _tmpIv, answer.Get<byte[]>("encrypted_answer"), _codec, "Server_DH_inner_data")
            ?? throw new HandshakeException(_checking, "server_DH_params_ok: encrypted_answer fails its SHA-1 or padding check");
        CheckNonces(inner, "server_DH_inner_data");

        _g = inner.Get<int>("g");
        _prime = BigEndianInteger.Read(inner.Get<byte[]>("dh_prime"));
        _gA = BigEndianInteger.Read(inner.Get<byte[]>("g_a"));
        CheckDh(Skips(ClientFaults.AcceptAnyDhPrime) ? DhCheck.Ok : DhChecks.CheckPrime(_prime), "dh_prime");
        CheckDh(DhChecks.CheckGenerator(_g, _prime), "g");
        CheckDh(Skips(ClientFaults.NoGARangeCheck) ? DhCheck.Ok : DhChecks.CheckPublicValue(_gA, _prime), "g_a");
        _timeOffset = DateTimeOffset.FromUnixTimeSeconds(inner.Get<int>("server_time")) - _options.Clock.GetUtcNow();
        return ClientDhParams();
    }

    /// <summary>Step 4: checks dh_gen_ok / dh_gen_retry / dh_gen_fail and its new_nonce_hash.</summary>
    public HandshakeClientResult OnDhGen(ReadOnlySpan<byte> response)
    {
        _checking = HandshakeAnswer.DhGen;
        TlObject answer = Read(response, "Set_client_DH_params_answer");
        CheckNonces(answer, answer.Combinator.Name);
        using var key = AuthKey.FromBytes(_authKey);
        byte[] aux = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(aux, key.AuxHash);
        if (Skips(ClientFaults.DropKeyLeadingZero))
        {
            SHA1.HashData(_authKey.AsSpan().TrimStart((byte)0)).AsSpan(0, aux.Length).CopyTo(aux);
        }

        (int number, string field) = answer.Combinator.Name switch
        {
            "dh_gen_ok" => (1, "new_nonce_hash1"),
            "dh_gen_retry" => (2, "new_nonce_hash2"),
            _ => (3, "new_nonce_hash3"),
        };
        byte[] expected = new byte[NewNonceHash.Size];
        NewNonceHash.Compute(_newNonce, number, aux, expected);
        Require(CryptographicOperations.FixedTimeEquals(expected, answer.Get<byte[]>(field)), $"{answer.Combinator.Name}: {field} is wrong");
        switch (number)
        {
            case 1:
                _secret = BigInteger.Zero;
                return new HandshakeClientDone(_authKey, InitialSalt.Compute(_newNonce, _serverNonce), _timeOffset);
            case 2:
                _retryId = key.AuxHash;
                CryptographicOperations.ZeroMemory(_authKey);
                return new HandshakeClientRetry(ClientDhParams());
            default:
                throw new HandshakeException(_checking, "dh_gen_fail: the server refused the key exchange");
        }
    }

    private byte[] ClientDhParams()
    {
        byte[] gB = [];
        for (int attempt = 0; attempt < MaxGBAttempts && !IsUsableGB(gB); attempt++)
        {
            _secret = NewSecret();
            gB = DhExchange.PublicValue(_g, _secret, _prime);
        }

        Require(IsUsableGB(gB), $"no usable g_b in {MaxGBAttempts} attempts: the group is too small");

        _authKey = DhExchange.SharedKey(_gA, _secret, _prime);
        byte[] sent = _options.ReplaceGB?.Invoke(gB) ?? gB;
        byte[] inner = _codec.Serialize(new TlObject(_schema["client_DH_inner_data"], _nonce, _serverNonce,
            _options.ReplaceRetryId ?? _retryId, sent));
        byte[] encrypted = EncryptedAnswer.Encrypt(_tmpKey, _tmpIv, inner);
        return _codec.Serialize(new TlObject(_schema["set_client_DH_params"], _nonce, _serverNonce, encrypted));
    }

    /// <summary>
    /// A random b. Under <see cref="ClientFaults.DropKeyLeadingZero"/>, one whose key g_a^b begins with a zero byte
    /// (1 b in 256; at most <see cref="MaxLeadingZeroAttempts"/> tried), so that the fault shows in every handshake.
    /// </summary>
    private BigInteger NewSecret()
    {
        for (int attempt = 1; ; attempt++)
        {
            BigInteger secret = BigEndianInteger.Read(RandomNumberGenerator.GetBytes(DhExchange.Size));
            if (!Skips(ClientFaults.DropKeyLeadingZero) || attempt == MaxLeadingZeroAttempts || DhExchange.SharedKey(_gA, secret, _prime)[0] == 0)
            {
                return secret;
            }
        }
    }

    /// <summary>
    /// Whether g_b passes the checks the server will make (§5.4). A prime accepted through
    /// <see cref="ClientFaults.AcceptAnyDhPrime"/> may be too small for the 2^(2048-64) margins: then only
    /// 1 &lt; g_b &lt; p-1 is asked, so the faulty client goes on as a client without the prime check would.
    /// </summary>
    private bool IsUsableGB(byte[] gB) => gB.Length > 0 && DhChecks.CheckPublicValue(BigEndianInteger.Read(gB), _prime) switch
    {
        DhCheck.Ok => true,
        DhCheck.ValueTooCloseToBounds => Skips(ClientFaults.AcceptAnyDhPrime),
        _ => false,
    };

    private bool Skips(ClientFaults fault) => _options.Faults.HasFlag(fault);

    private TlObject Read(ReadOnlySpan<byte> response, string typeName)
    {
        try
        {
            var reader = new TlReader(response);
            TlObject value = _codec.ReadBoxed(ref reader, typeName);
            Require(reader.Remaining == 0, $"{value.Combinator.Name}: {reader.Remaining} bytes after the object");
            return value;
        }
        catch (TlDecodeException e)
        {
            throw new HandshakeException(_checking, $"expected a {typeName}: {e.Message}", e);
        }
    }

    private void CheckNonces(TlObject value, string what)
    {
        Require(value.Get<byte[]>("nonce").AsSpan().SequenceEqual(_nonce), $"{what}: nonce differs from ours");
        Require(value.Get<byte[]>("server_nonce").AsSpan().SequenceEqual(_serverNonce), $"{what}: server_nonce differs from resPQ's");
    }

    private static (ulong P, ulong Q) FactorOrFail(ulong pq)
    {
        try
        {
            return Pq.Factor(pq);
        }
        catch (ArgumentException e)
        {
            throw new HandshakeException(HandshakeAnswer.ResPq, $"resPQ: pq {pq} cannot be factored into two primes", e);
        }
    }

    private void CheckDh(DhCheck result, string what) =>
        Require(result == DhCheck.Ok, $"server_DH_inner_data: {what} refused: {result}");

    private void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new HandshakeException(_checking, failure);
        }
    }
}
