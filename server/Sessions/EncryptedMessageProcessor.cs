using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Server.Storage;

namespace Testbed.Server.Sessions;

/// <summary>What an encrypted packet produced: answer bodies to seal, a transport error, or nothing.</summary>
internal readonly record struct EncryptedOutcome(byte[]? Response, int TransportError, string Event, string Detail);

/// <summary>
/// Encrypted messages (docs/protocol.md §2–§4): find the key, decrypt with every failure alike, run the session's
/// admission checks, answer service messages, and seal the answers — several in one msg_container — under the
/// current salt with fresh msg_ids and seq_nos, so no two server messages ever share a header.
/// Handled so far: ping, ping_delay_disconnect (answered, the disconnect timer is not implemented), msgs_ack,
/// get_future_salts; other queries get rpc_error 501 NOT_IMPLEMENTED; msg_container from clients is not accepted yet.
/// </summary>
internal sealed class EncryptedMessageProcessor(AuthKeyStore store, SessionRegistry sessions, ServerSaltSchedule salts, TimeProvider clock)
{
    // The salt the handshake gives a new key is accepted for this long after its creation (docs/protocol.md §3.5).
    private static readonly TimeSpan InitialSaltLifetime = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<long, (AuthKey Key, StoredAuthKey Stored)> _keys = new();
    private readonly TlCodec _codec = TlCodec.MTProto;
    private readonly TlSchema _schema = TlSchema.MTProto;

    public EncryptedOutcome Process(ReadOnlySpan<byte> wire)
    {
        long authKeyId = wire.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(wire) : 0;
        DateTimeOffset now = clock.GetUtcNow();
        if (!TryGetKey(authKeyId, now, out AuthKey? key, out StoredAuthKey? stored))
        {
            return new EncryptedOutcome(null, -404, "unknown_auth_key", "");
        }

        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        if (!MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, wire, plaintext, out DecryptedEnvelope envelope))
        {
            // One answer for every pre-MAC and post-MAC failure (§2.4).
            return new EncryptedOutcome(null, -404, "decryption_refused", "");
        }

        TlObject body;
        try
        {
            body = _codec.Deserialize(envelope.MessageData(plaintext));
        }
        catch (TlDecodeException e)
        {
            return new EncryptedOutcome(null, -404, "malformed_message", e.Error.ToString());
        }

        EnvelopeHeader header = envelope.Header;
        ServerSession session = sessions.GetOrCreate(authKeyId, header.SessionId);
        lock (session.Lock)
        {
            return Admit(session, key, authKeyId, stored, header, body, now);
        }
    }

    private EncryptedOutcome Admit(ServerSession session, AuthKey key, long authKeyId, StoredAuthKey stored, EnvelopeHeader header,
        TlObject body, DateTimeOffset now)
    {
        if (body.Combinator.Id == ContentRelated.MsgContainer)
        {
            return new EncryptedOutcome(null, -404, "container_not_supported", "");
        }

        bool saltAccepted = salts.IsAccepted(authKeyId, header.Salt, now)
            || (stored.InitialSalt == header.Salt && now - stored.CreatedAt < InitialSaltLifetime);
        AdmissionVerdict verdict = session.Admission.Check(header, ContentRelated.IsContentRelated(body.Combinator.Id), saltAccepted, now);
        var answers = new List<(byte[] Body, bool ContentRelated)>();
        string eventName;
        switch (verdict.Action)
        {
            case AdmissionAction.Refuse:
                answers.Add((Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)verdict.Code!), false));
                eventName = "message_refused";
                break;
            case AdmissionAction.BadSalt:
                answers.Add((Serialize("bad_server_salt", header.MsgId, header.SeqNo, 48, salts.Current(authKeyId, now)), false));
                eventName = "salt_mismatch";
                break;
            case AdmissionAction.Duplicate:
                if (session.StoredResult(header.MsgId) is { } previous)
                {
                    answers.Add((previous, true)); // re-sent in a new message: never the same header twice
                }

                eventName = "replay_refused";
                break;
            default:
                if (!session.Announced)
                {
                    answers.Add((Serialize("new_session_created", header.MsgId, BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                        salts.Current(authKeyId, now)), true));
                    session.Announced = true;
                }

                if (Answer(body, header, authKeyId, now) is { } answer)
                {
                    session.StoreResult(header.MsgId, answer);
                    answers.Add((answer, true));
                }

                session.Admission.Record(header);
                eventName = "message_processed";
                break;
        }

        return answers.Count == 0
            ? new EncryptedOutcome(null, 0, eventName, verdict.Reason)
            : new EncryptedOutcome(Seal(session, key, authKeyId, answers, now), 0, eventName, verdict.Reason);
    }

    /// <summary>The answer to a processed message, or null when it needs none.</summary>
    private byte[]? Answer(TlObject body, EnvelopeHeader header, long authKeyId, DateTimeOffset now) => body.Combinator.Name switch
    {
        "ping" or "ping_delay_disconnect" => Serialize("pong", header.MsgId, body.Get<long>("ping_id")),
        "get_future_salts" => Serialize("future_salts", header.MsgId, (int)now.ToUnixTimeSeconds(),
            salts.Future(authKeyId, now, Math.Clamp(body.Get<int>("num"), 1, 64))
                .Select(s => (object?)new TlObject(_schema["future_salt"], s.ValidSince, s.ValidUntil, s.Salt)).ToArray()),
        _ when body.Combinator.IsFunction => Serialize("rpc_result", header.MsgId,
            new TlObject(_schema["rpc_error"], 501, "NOT_IMPLEMENTED"u8.ToArray())),
        _ => null, // msgs_ack and other notifications: nothing to answer
    };

    /// <summary>Encrypts the answers as one message: the body itself, or a msg_container of them.</summary>
    private byte[] Seal(ServerSession session, AuthKey key, long authKeyId, List<(byte[] Body, bool ContentRelated)> answers, DateTimeOffset now)
    {
        byte[] data;
        bool contentRelated;
        if (answers.Count == 1)
        {
            (data, contentRelated) = answers[0];
        }
        else
        {
            // msg_container#73f1f8dc messages:vector<%Message>; every inner msg_id below the container's.
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new TlWriter(buffer);
            writer.WriteUInt32(ContentRelated.MsgContainer);
            writer.WriteInt32(answers.Count);
            foreach ((byte[] inner, bool innerContentRelated) in answers)
            {
                writer.WriteInt64(session.MsgIds.Next(MsgIdSender.ServerResponse));
                writer.WriteInt32(session.SeqNos.Next(innerContentRelated));
                writer.WriteInt32(inner.Length);
                writer.WriteRaw(inner);
            }

            (data, contentRelated) = (buffer.WrittenSpan.ToArray(), false);
        }

        var header = new EnvelopeHeader(salts.Current(authKeyId, now), session.SessionId, session.MsgIds.Next(MsgIdSender.ServerResponse),
            session.SeqNos.Next(contentRelated));
        int padding = PaddingPolicy.Default.ChooseLength(data.Length);
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
        MessageEnvelope.Encrypt(key, MessageDirection.ServerToClient, header, data, padding, wire);
        return wire;
    }

    private bool TryGetKey(long authKeyId, DateTimeOffset now, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AuthKey? key,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StoredAuthKey? stored)
    {
        if (!_keys.TryGetValue(authKeyId, out var cached))
        {
            StoredAuthKey? loaded = authKeyId == 0 ? null : store.Load(authKeyId, now);
            if (loaded is null)
            {
                (key, stored) = (null, null);
                return false;
            }

            cached = _keys.GetOrAdd(authKeyId, (AuthKey.FromBytes(loaded.Key), loaded));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(loaded.Key);
        }

        (key, stored) = cached;
        return true;
    }

    private byte[] Serialize(string name, params object?[] values) => _codec.Serialize(new TlObject(_schema[name], values));
}
