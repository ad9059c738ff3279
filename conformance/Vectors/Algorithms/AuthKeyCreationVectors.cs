using System.Numerics;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>
/// The auth-key creation worked example, step by step (docs/protocol.md §5): pq factoring, tmp keys, decryption
/// and hash check of encrypted_answer, the DH checks, g_b, the client's encrypted_data, auth_key and its ids,
/// new_nonce_hash1..3 and the first salt. The first step that differs fails the test and is named.
/// </summary>
internal sealed class AuthKeyCreationVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-AuthKeyCreation";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("nonce", VectorFieldKind.Hex), new("serverNonce", VectorFieldKind.Hex), new("newNonce", VectorFieldKind.Hex),
        new("pq", VectorFieldKind.Decimal), new("p", VectorFieldKind.Decimal), new("q", VectorFieldKind.Decimal),
        new("tmpAesKey", VectorFieldKind.Hex), new("tmpAesIv", VectorFieldKind.Hex),
        new("encryptedAnswer", VectorFieldKind.Hex), new("answerWithHash", VectorFieldKind.Hex),
        new("g", VectorFieldKind.Integer), new("dhPrime", VectorFieldKind.Hex), new("gA", VectorFieldKind.Hex),
        new("serverTime", VectorFieldKind.Integer), new("b", VectorFieldKind.Hex), new("gB", VectorFieldKind.Hex),
        new("clientDhInnerPadding", VectorFieldKind.Hex), new("clientEncryptedData", VectorFieldKind.Hex),
        new("authKey", VectorFieldKind.Hex), new("authKeyId", VectorFieldKind.Hex), new("auxHash", VectorFieldKind.Hex),
        new("newNonceHash1", VectorFieldKind.Hex), new("newNonceHash2", VectorFieldKind.Hex),
        new("newNonceHash3", VectorFieldKind.Hex), new("serverSalt", VectorFieldKind.Hex),
    ];

    public VectorOutcome Check(VectorTest test) =>
        CheckPq(test) ?? TmpAesKeyVectors.Compare(test) ?? CheckServerAnswer(test) ?? CheckDh(test)
        ?? CheckClientData(test) ?? CheckAuthKey(test)
        ?? VectorOutcome.Pass("pq, tmp keys, encrypted_answer, DH checks, g_b, encrypted_data, auth_key, hashes, salt");

    private static VectorOutcome? CheckPq(VectorTest test)
    {
        (ulong p, ulong q) = Pq.Factor((ulong)test.Decimal("pq"));
        return p == test.Decimal("p") && q == test.Decimal("q")
            ? null
            : VectorOutcome.Fail($"pq factors: expected {test.Decimal("p")} x {test.Decimal("q")}, got {p} x {q}");
    }

    private static VectorOutcome? CheckServerAnswer(VectorTest test)
    {
        byte[] key = test.Hex("tmpAesKey"), iv = test.Hex("tmpAesIv"), encrypted = test.Hex("encryptedAnswer");
        byte[] plain = new byte[encrypted.Length];
        AesIge.Decrypt(key, iv, encrypted, plain);
        VectorOutcome? mismatch = VectorOutcome.Mismatch("answer_with_hash", test.Hex("answerWithHash"), plain);
        if (mismatch is not null)
        {
            return mismatch;
        }

        TlObject? inner = EncryptedAnswer.TryDecrypt(key, iv, encrypted, TlCodec.MTProto, "Server_DH_inner_data");
        if (inner is null)
        {
            return VectorOutcome.Fail("encrypted_answer: SHA1 or padding check refused it, or it is not server_DH_inner_data");
        }

        return VectorOutcome.Mismatch("server_DH_inner_data.nonce", test.Hex("nonce"), inner.Get<byte[]>("nonce"))
            ?? VectorOutcome.Mismatch("server_DH_inner_data.server_nonce", test.Hex("serverNonce"), inner.Get<byte[]>("server_nonce"))
            ?? VectorOutcome.Mismatch("server_DH_inner_data.dh_prime", test.Hex("dhPrime"), inner.Get<byte[]>("dh_prime"))
            ?? VectorOutcome.Mismatch("server_DH_inner_data.g_a", test.Hex("gA"), inner.Get<byte[]>("g_a"))
            ?? (inner.Get<int>("g") == test.Integer("g") && inner.Get<int>("server_time") == test.Integer("serverTime")
                ? null
                : VectorOutcome.Fail($"server_DH_inner_data g/server_time: got {inner["g"]}/{inner["server_time"]}"));
    }

    private static VectorOutcome? CheckDh(VectorTest test)
    {
        BigInteger p = BigEndianInteger.Read(test.Hex("dhPrime"));
        int g = test.Integer("g");
        byte[] gB = DhExchange.PublicValue(g, BigEndianInteger.Read(test.Hex("b")), p);
        DhCheck check = DhChecks.CheckPrime(p);
        check = check == DhCheck.Ok ? DhChecks.CheckGenerator(g, p) : check;
        check = check == DhCheck.Ok ? DhChecks.CheckPublicValue(BigEndianInteger.Read(test.Hex("gA")), p) : check;
        check = check == DhCheck.Ok ? DhChecks.CheckPublicValue(BigEndianInteger.Read(gB), p) : check;
        return check != DhCheck.Ok
            ? VectorOutcome.Fail($"DH checks refused the example: {check}")
            : VectorOutcome.Mismatch("g_b", test.Hex("gB"), gB);
    }

    private static VectorOutcome? CheckClientData(VectorTest test)
    {
        TlSchema schema = TlSchema.MTProto;
        var inner = new TlObject(schema["client_DH_inner_data"], test.Hex("nonce"), test.Hex("serverNonce"), 0L, test.Hex("gB"));
        byte[] encrypted = EncryptedAnswer.Encrypt(test.Hex("tmpAesKey"), test.Hex("tmpAesIv"), TlCodec.MTProto.Serialize(inner),
            new FixedRandom(test.Hex("clientDhInnerPadding")));
        return VectorOutcome.Mismatch("client encrypted_data", test.Hex("clientEncryptedData"), encrypted);
    }

    private static VectorOutcome? CheckAuthKey(VectorTest test)
    {
        BigInteger p = BigEndianInteger.Read(test.Hex("dhPrime"));
        byte[] shared = DhExchange.SharedKey(BigEndianInteger.Read(test.Hex("gA")), BigEndianInteger.Read(test.Hex("b")), p);
        VectorOutcome? mismatch = VectorOutcome.Mismatch("auth_key", test.Hex("authKey"), shared);
        if (mismatch is not null)
        {
            return mismatch;
        }

        using var authKey = AuthKey.FromBytes(shared);
        byte[] newNonce = test.Hex("newNonce");
        byte[] auxHash = BitConverter.GetBytes(authKey.AuxHash);
        byte[] hash = new byte[NewNonceHash.Size];
        foreach (int n in (ReadOnlySpan<int>)[1, 2, 3])
        {
            NewNonceHash.Compute(newNonce, n, auxHash, hash);
            mismatch ??= VectorOutcome.Mismatch($"new_nonce_hash{n}", test.Hex($"newNonceHash{n}"), hash);
        }

        long salt = InitialSalt.Compute(newNonce, test.Hex("serverNonce"));
        return AuthKeyIdVectors.Compare(test, authKey) ?? mismatch
            ?? VectorOutcome.Mismatch("server_salt", test.Hex("serverSalt"), BitConverter.GetBytes(salt));
    }
}
