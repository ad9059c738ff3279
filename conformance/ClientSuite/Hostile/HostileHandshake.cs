using System.Buffers.Binary;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// The handshake side of the hostile server: the reference <see cref="HandshakeServer"/> answers every query, then
/// the case's <see cref="HandshakeDeviation"/> rewrites the one answer it targets. To rewrite inside the encrypted
/// answer it needs new_nonce, which it reads from the client's p_q_inner_data with the server's private key, as the
/// reference server does. Each step the client took is recorded, so a case can tell how far it went.
/// </summary>
internal sealed class HostileHandshake
{
    private readonly HandshakeServer _server;
    private readonly RsaKeyPair _key;
    private readonly HandshakeDeviation _deviation;
    private readonly TlCodec _codec = TlCodec.MTProto;
    private byte[] _newNonce = [];
    private int _retriesLeft;

    public HostileHandshake(RsaKeyPair key, HandshakeDeviation deviation)
    {
        (_key, _deviation, _retriesLeft) = (key, deviation, deviation.Retries);
        _server = new HandshakeServer(new HandshakeServerOptions
        {
            RsaKeys = [key],
            CheckDataCenter = false,
            AcceptLegacyRsa = true, // @mtproto/core 6.3.0 still encrypts p_q_inner_data the pre-RSA_PAD way
            IsAuthKeyIdTaken = _ => Interlocked.Decrement(ref _retriesLeft) >= 0,
        });
    }

    /// <summary>
    /// Answers one unencrypted message's data: the answer's bytes, or a transport error code; a key the client can
    /// go on with (even one the deviation told it not to trust: a client that uses it anyway shows it on the wire).
    /// </summary>
    public (byte[]? Answer, int ErrorCode, HandshakeCompleted? Key) Handle(ReadOnlySpan<byte> query)
    {
        string name = QueryName(query);
        HandshakeOutcome outcome = _server.Handle(query);
        switch (outcome)
        {
            case HandshakeTransportError error:
                return (null, error.Code, null);
            case HandshakeCompleted completed:
                var secrets = new HandshakeSecrets(_newNonce, completed.AuthKey);
                byte[] answer = _deviation.DhGen is { } dhGen ? _codec.Serialize(dhGen(_codec.Deserialize(completed.Response), secrets)) : completed.Response;
                return (answer, 0, completed);
            case HandshakeReply reply when name is "req_pq_multi" or "req_pq" && _deviation.ResPq is { } resPq:
                return (_codec.Serialize(resPq(_codec.Deserialize(reply.Response))), 0, null);
            case HandshakeReply reply when name == "req_DH_params":
                _newNonce = NewNonceOf(_codec.Deserialize(query).Get<byte[]>("encrypted_data"));
                return (DeviateDhParams(reply.Response), 0, null);
            case HandshakeReply reply:
                return (reply.Response, 0, null);
            default:
                throw new InvalidOperationException($"unexpected handshake outcome {outcome.GetType().Name}");
        }
    }

    /// <summary>The name of an unencrypted message's constructor ("?" when unknown).</summary>
    public static string QueryName(ReadOnlySpan<byte> query) =>
        query.Length >= 4 && TlSchema.MTProto.TryGet(BinaryPrimitives.ReadUInt32LittleEndian(query), out TlCombinator? c) ? c.Name : "?";

    private byte[] DeviateDhParams(byte[] response)
    {
        TlObject answer = _codec.Deserialize(response);
        if (_deviation.Dh is not null || _deviation.CorruptAnswerHash)
        {
            byte[] key = new byte[32], iv = new byte[32];
            TmpAesKey.Derive(_newNonce, answer.Get<byte[]>("server_nonce"), key, iv);
            TlObject inner = EncryptedAnswer.TryDecrypt(key, iv, answer.Get<byte[]>("encrypted_answer"), _codec, "Server_DH_inner_data")
                ?? throw new InvalidOperationException("the reference server's encrypted_answer does not open");
            if (_deviation.Dh is { } dh)
            {
                DhValues values = dh(new DhValues(inner.Get<int>("g"), BigEndianInteger.Read(inner.Get<byte[]>("dh_prime")),
                    BigEndianInteger.Read(inner.Get<byte[]>("g_a"))));
                inner = inner.With("g", values.G).With("dh_prime", Minimal(values.Prime)).With("g_a", Minimal(values.GA));
            }

            byte[] encrypted = EncryptedAnswer.Encrypt(key, iv, _codec.Serialize(inner));
            if (_deviation.CorruptAnswerHash)
            {
                // Decrypt, flip the SHA-1's first bit, encrypt again: the answer is intact, its hash is not.
                AesIge.Decrypt(key, iv, encrypted, encrypted);
                encrypted[0] ^= 0x80;
                AesIge.Encrypt(key, iv, encrypted, encrypted);
            }

            answer = answer.With("encrypted_answer", encrypted);
        }

        if (_deviation.ServerDhParams is { } replace)
        {
            answer = replace(answer, new HandshakeSecrets(_newNonce, []));
        }

        return _codec.Serialize(answer);
    }

    /// <summary>new_nonce from req_DH_params' encrypted_data: RSA_PAD, or the legacy encoding (docs/protocol.md §5.2).</summary>
    private byte[] NewNonceOf(byte[] encrypted)
    {
        byte[] padded = new byte[RsaPad.PaddedLength];
        ReadOnlySpan<byte> data;
        if (RsaPad.TryDecrypt(encrypted, _key, padded))
        {
            data = padded;
        }
        else
        {
            byte[] block = new byte[RsaLegacyEncoding.BlockLength];
            data = RsaLegacyEncoding.TryDecrypt(encrypted, _key, block) ? block.AsSpan(20) : [];
        }

        var reader = new TlReader(data);
        return _codec.ReadBoxed(ref reader, "P_Q_inner_data").Get<byte[]>("new_nonce");
    }

    private static byte[] Minimal(System.Numerics.BigInteger value) =>
        value.IsZero ? [0] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
}
