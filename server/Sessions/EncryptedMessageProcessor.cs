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
/// get_future_salts, msg_container, gzip_packed (unpacked up to 1 MiB); other queries get rpc_error 501 NOT_IMPLEMENTED.
/// </summary>
internal sealed class EncryptedMessageProcessor(AuthKeyStore store, SessionRegistry sessions, ServerSaltSchedule salts, TimeProvider clock)
{
    // The salt the handshake gives a new key is accepted for this long after its creation (docs/protocol.md §3.5).
    private static readonly TimeSpan InitialSaltLifetime = TimeSpan.FromMinutes(30);

    // What gzip_packed may expand to: the transport's own packet limit.
    private const int MaxUnpackedLength = 1 << 20;

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
        bool saltAccepted = salts.IsAccepted(authKeyId, header.Salt, now)
            || (stored.InitialSalt == header.Salt && now - stored.CreatedAt < InitialSaltLifetime);
        var answers = new List<(byte[] Body, bool ContentRelated)>();
        (string eventName, string reason) = body.Combinator.Id == ContentRelated.MsgContainer
            ? AdmitContainer(session, authKeyId, header, body, saltAccepted, now, answers)
            : AdmitOne(session, authKeyId, header, body, saltAccepted, now, answers);
        return answers.Count == 0
            ? new EncryptedOutcome(null, 0, eventName, reason)
            : new EncryptedOutcome(Seal(session, key, authKeyId, answers, now), 0, eventName, reason);
    }

    /// <summary>
    /// A client msg_container (docs/protocol.md §4): the container passes the session checks as a message that is
    /// not content-related; then it must hold at most 1024 messages, none of them a container, each with a msg_id
    /// below the container's and a bytes field equal to its body's length — else code 64 and nothing inside is
    /// processed. Each inner message then goes through the checks on its own; the container's id is recorded last.
    /// </summary>
    private (string Event, string Reason) AdmitContainer(ServerSession session, long authKeyId, EnvelopeHeader header, TlObject container,
        bool saltAccepted, DateTimeOffset now, List<(byte[] Body, bool ContentRelated)> answers)
    {
        object?[] messages = container.Get<object?[]>("messages");
        AdmissionVerdict verdict = session.Admission.Check(header, contentRelated: false, saltAccepted, now);
        if (verdict.Action == AdmissionAction.Duplicate)
        {
            // A replayed container: re-send what its messages got, process nothing.
            answers.AddRange(messages.Cast<TlObject>().Select(m => session.StoredResult(m.Get<long>("msg_id")))
                .OfType<byte[]>().Select(result => (result, true)));
            return ("replay_refused", verdict.Reason);
        }

        if (verdict.Action != AdmissionAction.Process)
        {
            answers.Add(Refusal(header, verdict, authKeyId, now));
            return (verdict.Action == AdmissionAction.BadSalt ? "salt_mismatch" : "message_refused", verdict.Reason);
        }

        string? invalid = messages.Length > MessageContainer.MaxMessages ? "more than 1024 messages"
            : messages.Cast<TlObject>().Select(m => ContainerEntryProblem(m, header.MsgId)).FirstOrDefault(p => p is not null);
        if (invalid is not null)
        {
            answers.Add((Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)BadMsgCode.InvalidContainer), false));
            return ("message_refused", $"invalid container: {invalid}");
        }

        foreach (TlObject message in messages.Cast<TlObject>())
        {
            var inner = new EnvelopeHeader(header.Salt, header.SessionId, message.Get<long>("msg_id"), message.Get<int>("seqno"));
            AdmitOne(session, authKeyId, inner, message.Get<TlObject>("body"), saltAccepted: true, now, answers);
        }

        session.Admission.Record(header);
        return ("message_processed", $"container of {messages.Length}");
    }

    private string? ContainerEntryProblem(TlObject message, long containerMsgId)
    {
        TlObject body = message.Get<TlObject>("body");
        if (body.Combinator.Id == ContentRelated.MsgContainer)
        {
            return "a container inside a container";
        }

        if (message.Get<long>("msg_id") >= containerMsgId)
        {
            return "an inner msg_id not below the container's";
        }

        return message.Get<int>("bytes") != _codec.Serialize(body).Length ? "a bytes field that is not the body's length" : null;
    }

    private (string Event, string Reason) AdmitOne(ServerSession session, long authKeyId, EnvelopeHeader header, TlObject body,
        bool saltAccepted, DateTimeOffset now, List<(byte[] Body, bool ContentRelated)> answers)
    {
        // gzip_packed is a wrapper: unpack (bounded) and treat the message as what it carries (docs/protocol.md §3.3).
        // One that does not unpack to a single object gets code 64 (Choice: no code names it better).
        if (body.Combinator.Id == ContentRelated.GzipPacked)
        {
            TlObject? unpacked = Unpack(body);
            if (unpacked is null)
            {
                answers.Add((Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)BadMsgCode.InvalidContainer), false));
                return ("message_refused", "gzip_packed that does not unpack to one object within the size limit");
            }

            body = unpacked;
        }

        AdmissionVerdict verdict = session.Admission.Check(header, ContentRelated.IsContentRelated(body.Combinator.Id), saltAccepted, now);
        switch (verdict.Action)
        {
            case AdmissionAction.Refuse or AdmissionAction.BadSalt:
                answers.Add(Refusal(header, verdict, authKeyId, now));
                return (verdict.Action == AdmissionAction.BadSalt ? "salt_mismatch" : "message_refused", verdict.Reason);
            case AdmissionAction.Duplicate:
                if (session.StoredResult(header.MsgId) is { } previous)
                {
                    answers.Add((previous, true)); // re-sent in a new message: never the same header twice
                }

                return ("replay_refused", verdict.Reason);
            default:
                if (!session.Announced)
                {
                    answers.Add((Serialize("new_session_created", header.MsgId,
                        BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), salts.Current(authKeyId, now)), true));
                    session.Announced = true;
                }

                if (Answer(body, header, authKeyId, now) is { } answer)
                {
                    session.StoreResult(header.MsgId, answer);
                    answers.Add((answer, true));
                }

                session.Admission.Record(header);
                return ("message_processed", verdict.Reason);
        }
    }

    private TlObject? Unpack(TlObject packed)
    {
        if (!GzipPacked.TryUnpack(packed.Get<byte[]>("packed_data"), MaxUnpackedLength, out byte[] data))
        {
            return null;
        }

        try
        {
            TlObject inner = _codec.Deserialize(data);
            return inner.Combinator.Id is ContentRelated.GzipPacked or ContentRelated.MsgContainer ? null : inner;
        }
        catch (TlDecodeException)
        {
            return null;
        }
    }

    private (byte[] Body, bool ContentRelated) Refusal(EnvelopeHeader header, AdmissionVerdict verdict, long authKeyId, DateTimeOffset now) =>
        verdict.Action == AdmissionAction.BadSalt
            ? (Serialize("bad_server_salt", header.MsgId, header.SeqNo, 48, salts.Current(authKeyId, now)), false)
            : (Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)verdict.Code!), false);

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
            // msg_container: every inner msg_id below the container's, which is made after them.
            var entries = answers.Select(a => (session.MsgIds.Next(MsgIdSender.ServerResponse), session.SeqNos.Next(a.ContentRelated), a.Body))
                .ToArray();
            byte[] container = MessageContainer.Build(entries);
            (data, contentRelated) = (container, false);
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
