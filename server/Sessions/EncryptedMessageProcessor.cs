using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Server.Faults;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Server.Sessions;

/// <summary>
/// What an encrypted packet produced, for the log: a transport error (or 0), an event name, a detail, the session_id
/// and msg_id of the message once it decrypted, and the events of single messages inside it (a refused message in a
/// container, a client's initConnection), each logged on its own.
/// </summary>
internal readonly record struct EncryptedOutcome(int TransportError, string Event, string Detail, long? SessionId = null, long? MsgId = null,
    IReadOnlyList<EncryptedOutcome>? Inner = null);

/// <summary>
/// Encrypted messages (docs/protocol.md §2–§4): find the key, decrypt with every failure alike, bind the session to
/// the connection, run the session's admission checks on the message (or on a container and each message in it),
/// hand what passes to the <see cref="ServiceMessageHandler"/>, and send what is due. Each message's body is read on
/// its own (<see cref="MessageBody"/>, <see cref="ClientContainer"/>): one that does not parse gets an rpc_error once
/// it has passed the checks, never a transport error for the whole packet (§4.3).
/// </summary>
internal sealed class EncryptedMessageProcessor(AuthKeyStore store, SessionRegistry sessions, SessionDelivery delivery,
    ServiceMessageHandler handler, ServerSaltSchedule salts, ServerBehaviour behaviour, TimeProvider clock, MemoryBounds? bounds = null,
    Cluster.IReplayLedger? ledger = null, Cluster.ISessionDirectory? directory = null, Cluster.UndeliveredUpdates? undelivered = null,
    Cluster.SessionJournal? journal = null)
{
    // The salt the handshake gives a new key is accepted for this long after its creation (docs/protocol.md §3.5).
    private static readonly TimeSpan InitialSaltLifetime = TimeSpan.FromMinutes(30);

    // What gzip_packed may expand to: the transport's own packet limit.
    private const int MaxUnpackedLength = 1 << 20;

    // A session retired between the registry handing it out and this thread taking its lock is asked for again; the
    // registry makes the new one as the most recently used, so a second retirement in a row needs a flood of sessions.
    private const int SessionAttempts = 4;

    private readonly MemoryBounds _bounds = bounds ?? MemoryBounds.Default;

    // The decoded keys in use (docs/server.md "Memory bounds"): the database is the source, a key evicted is loaded
    // again. An evicted AuthKey is not disposed: live sessions and packets on other threads may still hold it.
    private readonly LruMap<long, (AuthKey Key, StoredAuthKey Stored)> _keys = new();
    private readonly Lock _keysLock = new();
    private readonly TlCodec _codec = TlCodec.Testbed;
    private readonly TlSchema _schema = TlSchema.Testbed;

    public EncryptedOutcome Process(ReadOnlySpan<byte> wire, IClientConnection connection)
    {
        long authKeyId = wire.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(wire) : 0;
        DateTimeOffset now = clock.GetUtcNow();
        if (!TryGetKey(authKeyId, now, out AuthKey? key, out StoredAuthKey? stored))
        {
            if (behaviour.Violates(Faults.Violations.EnvelopeViolations.UnknownKeyIgnored))
            {
                return new EncryptedOutcome(0, "unknown_auth_key", "not answered (violation)");
            }

            return new EncryptedOutcome(-404, "unknown_auth_key", "");
        }

        if (behaviour.LayoutCheckedBeforeMsgKey && FaultyEnvelope.LayoutIsBad(key, wire))
        {
            return new EncryptedOutcome(FaultyEnvelope.EarlyLayoutError, "decryption_refused", "bad length or padding, found before msg_key (fault)");
        }

        if (behaviour.LengthTimingLeakNanoseconds > 0 && FaultyEnvelope.LayoutIsBad(key, wire))
        {
            // The planted leak: extra time only, then on to the ordinary path and its -404 like every other failure.
            CalibratedDelay.Spin(behaviour.LengthTimingLeakNanoseconds);
        }

        if (behaviour.Violates(TimingViolations.LengthJudgedBeforeMsgKey) && FaultyEnvelope.LayoutIsBad(key, wire))
        {
            return new EncryptedOutcome(-404, "decryption_refused", "bad length or padding, found before msg_key (violation)");
        }

        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        bool decrypted = behaviour.PaddingUnchecked
            ? FaultyEnvelope.TryDecryptIgnoringPadding(key, wire, plaintext, out DecryptedEnvelope envelope)
            : MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, wire, plaintext, out envelope);
        if (!decrypted && behaviour.Violates(Faults.Violations.EnvelopeViolations.MsgKeyUnchecked))
        {
            decrypted = Faults.Violations.EnvelopeViolations.TryDecryptWithoutMsgKey(key, wire, plaintext, out envelope);
        }

        if (decrypted && envelope.PaddingLength == PaddingPolicy.MaxLength && behaviour.Violates(Faults.Violations.EnvelopeViolations.LargestPaddingRefused))
        {
            decrypted = false;
        }

        if (!decrypted && Faults.Violations.EnvelopeViolations.RefusedOtherwise(behaviour, key, wire) is { } otherwise)
        {
            return otherwise;
        }

        if (!decrypted)
        {
            // One answer for every pre-MAC and post-MAC failure (§2.4).
            return new EncryptedOutcome(-404, "decryption_refused", "");
        }

        connection.KeyProven();
        ReadOnlySpan<byte> data = envelope.MessageData(plaintext);
        bool isContainer = data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) == ContentRelated.MsgContainer;
        ContainerEntry[]? entries = isContainer ? ClientContainer.Read(_codec, data) : null;
        MessageBody? body = isContainer ? null : MessageBody.Read(_codec, data);
        if (behaviour.Violates(ServiceViolations.UnknownFunctionRefusesPacket) && (body is { Object: null } || entries?.Any(e => e.Body.Object is null) == true))
        {
            return new EncryptedOutcome(-404, "malformed_message", "a message that does not parse refuses the packet (violation)");
        }

        EnvelopeHeader header = envelope.Header;
        ServerSession session = EnterSession(authKeyId, key, behaviour.SessionIdUnchecked ? 0 : header.SessionId, stored.CreatedAt);
        MessageContext context;
        EncryptedOutcome outcome;
        try
        {
            if (behaviour.Violates(ServiceViolations.MsgIdsOffServerClock))
            {
                session.Outbox.MsgIds.ClockOffset = ServiceViolations.SkewedClock;
            }

            if (journal is not null)
            {
                session.Outbox.TrackChanges();
            }

            if (behaviour.SessionIdUnchecked)
            {
                session.SessionId = header.SessionId;
                session.Announced = true; // one shared session: no new_session_created, ever
            }

            session.Bind(connection);
            context = new MessageContext(session, connection, stored, now);
            outcome = body is null ? AdmitContainer(context, header, entries) : AdmitOne(context, header, body);
            delivery.SendDue(session, now);
            if (connection is HttpExchange exchange)
            {
                exchange.Session = session;
                session.HttpWaiter = exchange.Wait is null ? session.HttpWaiter : exchange;
            }
        }
        finally
        {
            session.Lock.Exit();
        }

        if (context.DestroyKey)
        {
            DestroyKey(authKeyId);
        }

        context.Afterwards.ForEach(action => action());
        return outcome with { SessionId = header.SessionId, MsgId = header.MsgId, Inner = context.Events.Count == 0 ? null : context.Events };
    }

    /// <summary>
    /// The session, its lock held by this thread. The registry retires a session only under its lock, so one found
    /// retired here had its floor taken before this packet could be admitted into it: it is asked for again, and the
    /// registry makes it anew above that floor (docs/protocol.md §3.4).
    /// </summary>
    private ServerSession EnterSession(long authKeyId, AuthKey key, long sessionId, DateTimeOffset keyCreatedAt)
    {
        for (int attempt = 0; attempt < SessionAttempts; attempt++)
        {
            ServerSession session = sessions.GetOrCreate(authKeyId, key, sessionId, keyCreatedAt);
            session.Lock.Enter();
            if (!session.Retired)
            {
                return session;
            }

            session.Lock.Exit();
        }

        throw new InvalidOperationException($"Session {sessionId:x16} was evicted {SessionAttempts} times while this packet waited for it.");
    }

    /// <summary>Sends what is due on a session to a waiting HTTP request (http_wait woke it, or its time ran out).</summary>
    public void Flush(ServerSession session, HttpExchange exchange)
    {
        lock (session.Lock)
        {
            if (exchange.IsOpen)
            {
                session.Bind(exchange);
                delivery.SendDue(session, clock.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// A client msg_container (docs/protocol.md §4): the container passes the session checks as a message that is
    /// not content-related; then its framing must hold (<see cref="ClientContainer"/>) and it must hold at most 1024
    /// messages, none of them a container, each with a msg_id below the container's and a bytes field equal to its
    /// body's length — else code 64 and nothing inside is processed. Each inner message then goes through the checks
    /// on its own, and each one refused is an event of its own (§3.8); the container's id is recorded last.
    /// </summary>
    private EncryptedOutcome AdmitContainer(MessageContext context, EnvelopeHeader header, ContainerEntry[]? messages)
    {
        ServerSession session = context.Session;
        AdmissionVerdict verdict = session.Admission.Check(header, contentRelated: false, SaltAccepted(context, header), context.Now);
        if (verdict.Action == AdmissionAction.Duplicate)
        {
            // A replayed container: answer for its messages again, process nothing.
            foreach (ContainerEntry message in messages ?? [])
            {
                if (!behaviour.Violates(MsgIdViolations.ReplayedContainerUnanswered))
                {
                    AnswerDuplicate(context, message.MsgId);
                }
            }

            return new EncryptedOutcome(0, "replay_refused", verdict.Reason);
        }

        if (verdict.Action != AdmissionAction.Process)
        {
            return Refuse(context, header, verdict);
        }

        string? invalid = messages is null ? "framing that does not hold (count, msg_id, seqno, bytes)"
            : messages.Length > MessageContainer.MaxMessages && !behaviour.Violates(ServiceViolations.ContainerCountUnbounded) ? "more than 1024 messages"
            : messages.Select(m => ContainerEntryProblem(m, header.MsgId)).FirstOrDefault(p => p is not null);
        if (invalid is not null)
        {
            context.Answer(Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)BadMsgCode.InvalidContainer), contentRelated: false);
            return new EncryptedOutcome(0, "message_refused", $"invalid container: {invalid}");
        }

        string? refusal = null;
        foreach (ContainerEntry message in messages!)
        {
            if (!ReferenceEquals(message, messages[0]) && behaviour.Violates(ServiceViolations.ContainerOnlyFirstProcessed))
            {
                break;
            }

            var inner = new EnvelopeHeader(header.Salt, header.SessionId, message.MsgId, message.SeqNo);
            EncryptedOutcome result = AdmitOne(context, inner, message.Body, saltChecked: true);
            if (result.Event != "message_processed")
            {
                refusal ??= $"{result.Event}: {result.Detail}";
                context.Events.Add(result with { SessionId = header.SessionId, MsgId = message.MsgId });
            }
        }

        if (!behaviour.Violates(MsgIdViolations.ContainerMsgIdNotRecorded))
        {
            // Claimed last, as it is recorded last: its inner messages, each claimed on its own, have lower ids (§3.8).
            ClaimAcrossCluster(context, header, verdict);
            session.Admission.Record(header);
        }

        return new EncryptedOutcome(0, "message_processed", $"container of {messages.Length}" + (refusal is null ? "" : $"; {refusal}"));
    }

    private string? ContainerEntryProblem(ContainerEntry message, long containerMsgId)
    {
        if (message.Body.ConstructorId == ContentRelated.MsgContainer && !behaviour.Violates(ServiceViolations.NestedContainerAccepted))
        {
            return "a container inside a container";
        }

        if (message.MsgId >= containerMsgId && !behaviour.Violates(ServiceViolations.InnerMsgIdAboveContainerAccepted))
        {
            return "an inner msg_id not below the container's";
        }

        return message.Bytes != message.BodyLength && !behaviour.Violates(ServiceViolations.InnerLengthUnchecked) ? "a bytes field that is not the body's length" : null;
    }

    private EncryptedOutcome AdmitOne(MessageContext context, EnvelopeHeader header, MessageBody body, bool saltChecked = false)
    {
        ServerSession session = context.Session;
        bool byWrapper = body.ConstructorId == ContentRelated.GzipPacked && behaviour.Violates(ServiceViolations.GzipClassifiedByWrapper);

        // gzip_packed is a wrapper: unpack (bounded) and treat the message as what it carries (docs/protocol.md §3.3).
        // One that does not unpack to a single object gets code 64 (Choice: no code names it better).
        if (body.Object is { } packed && packed.Combinator.Id == ContentRelated.GzipPacked)
        {
            MessageBody? unpacked = Unpack(packed);
            if (unpacked is null)
            {
                context.Answer(Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)BadMsgCode.InvalidContainer), contentRelated: false);
                return new EncryptedOutcome(0, "message_refused", "gzip_packed that does not unpack to one object within the size limit");
            }

            body = unpacked;
        }

        bool saltAccepted = saltChecked || SaltAccepted(context, header);
        AdmissionVerdict verdict = session.Admission.Check(header, body.IsContentRelated && !byWrapper, saltAccepted, context.Now);
        if (verdict.Action == AdmissionAction.Process && behaviour.Violates(Faults.Violations.SeqNoViolations.AckRefused) && body.ConstructorId == ContentRelated.MsgsAck)
        {
            verdict = new AdmissionVerdict(AdmissionAction.Refuse, BadMsgCode.EvenSeqNoExpected, "msgs_ack refused (violation)");
        }

        if (verdict.Action == AdmissionAction.Process)
        {
            verdict = ClaimAcrossCluster(context, header, verdict);
        }

        switch (verdict.Action)
        {
            case AdmissionAction.Refuse or AdmissionAction.BadSalt:
                return Refuse(context, header, verdict);
            case AdmissionAction.Duplicate when behaviour.Violates(MsgIdViolations.RepeatedRequestUnanswered):
                return new EncryptedOutcome(0, "replay_refused", verdict.Reason + "; not answered (violation)");
            case AdmissionAction.Duplicate:
                AnswerDuplicate(context, header.MsgId);
                return new EncryptedOutcome(0, "replay_refused", verdict.Reason);
        }

        if (!session.Announced)
        {
            directory?.Announce(context.AuthKeyId, header.SessionId);
            session.Outbox.Add(Serialize("new_session_created", header.MsgId, BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                behaviour.Violates(Faults.Violations.SessionViolations.NewSessionSaltNotYetValid) ? salts.Future(context.AuthKeyId, context.Now, 2)[1].Salt
                    : salts.Current(context.AuthKeyId, context.Now)), contentRelated: true, keepUntilAcked: true);
            undelivered?.QueueOn(session);
            session.Announced = true;
        }

        if (behaviour.Violates(Faults.Violations.RobustnessViolations.SessionAnswersCapped) && session.Admission.Window.Count >= Faults.Violations.RobustnessViolations.AnswersPerSession)
        {
            return new EncryptedOutcome(0, "message_ignored", "session past its message cap (violation)");
        }

        if (body.Object is null)
        {
            string answer = handler.RefuseUnreadable(context, header, body);
            session.Admission.Record(header);
            // A function the server does not serve is a client asking for something, not garbled data: its own event,
            // so a reader of the log tells a client probing or ahead of the server from a broken one (docs/protocol.md §4.3).
            string name = body.IsUnknownFunction ? "unknown_method" : "malformed_message";
            return new EncryptedOutcome(0, name, $"{body.Problem!.Error} at byte {body.Problem.Offset}: {answer}");
        }

        string? refusal = handler.Execute(context, header, body.Object);
        session.Admission.Record(header);
        return refusal is null
            ? new EncryptedOutcome(0, "message_processed", verdict.Reason)
            : new EncryptedOutcome(0, "message_ignored", refusal);
    }

    /// <summary>
    /// The cluster's word on a message this node's own checks passed (docs/cluster.md, "Shared replay state"): whether
    /// any node has processed its msg_id, claimed for this node when none has. This node's window knows only what
    /// reached this node, so a packet captured on its way to another node would pass it. Without a ledger (one node,
    /// or the per-node-replay-state fault) this node's window is the whole truth. A claim that finds the session
    /// served elsewhere restores it from the session journal first.
    /// </summary>
    private AdmissionVerdict ClaimAcrossCluster(MessageContext context, in EnvelopeHeader header, AdmissionVerdict passed)
    {
        string? failure = null;
        Cluster.JournalCounters? counters = journal is null ? null : Cluster.SessionJournal.Counters(context.Session);
        Cluster.ReplayClaim? claim = ledger?.Claim(context.AuthKeyId, header.SessionId, header.MsgId, context.StoredKey.CreatedAt, context.Now,
            holdsSessionState: context.Session.Announced, counters, out failure);
        if (claim is Cluster.ReplayClaim.Fresh or Cluster.ReplayClaim.Duplicate && counters is { } carried)
        {
            journal?.Carried(context.Session, carried);
        }
        else if (claim is Cluster.ReplayClaim.FreshTakenOver or Cluster.ReplayClaim.DuplicateTakenOver)
        {
            // The session was served elsewhere (docs/cluster.md, "Sessions across nodes"): continue it, before this
            // message's answer (or, for a duplicate, its first answer) is queued.
            journal?.TakeOver(context.Session);
        }

        return claim switch
        {
            null or Cluster.ReplayClaim.Fresh or Cluster.ReplayClaim.FreshTakenOver => passed,
            Cluster.ReplayClaim.Duplicate or Cluster.ReplayClaim.DuplicateTakenOver => new AdmissionVerdict(AdmissionAction.Duplicate, null, "msg_id already processed (by a node of the cluster)"),
            Cluster.ReplayClaim.OutOfOrder => new AdmissionVerdict(AdmissionAction.Refuse, BadMsgCode.MsgIdTooLow,
                "msg_id below one a node of the cluster already processed (strict order)"),
            Cluster.ReplayClaim.BelowWindow => new AdmissionVerdict(AdmissionAction.Refuse, BadMsgCode.MessageTooOld, "msg_id below the cluster's replay window"),
            Cluster.ReplayClaim.Forgotten => new AdmissionVerdict(AdmissionAction.Refuse, BadMsgCode.MessageTooOld,
                "msg_id from before the cluster's shared state was lost (Redis restarted empty)"),
            _ => new AdmissionVerdict(AdmissionAction.Refuse, BadMsgCode.MessageTooOld,
                $"the cluster's shared replay state cannot be asked ({failure}): freshness cannot be proved"),
        };
    }

    /// <summary>
    /// A message already processed is never processed again, but its answer is given again (docs/protocol.md §3.6):
    /// re-sent under its own msg_id inside a new container — unless it was an acknowledged rpc_result, which
    /// msg_detailed_info names instead, as the client already has it.
    /// </summary>
    private void AnswerDuplicate(MessageContext context, long msgId)
    {
        if (context.Session.AnswerTo(msgId) is not { } answer)
        {
            return; // it needed no answer (msgs_ack, http_wait...)
        }

        if (answer.KeepUntilAcked && context.Session.Outbox.Find(answer.MsgId) is null)
        {
            context.Answer(Serialize("msg_detailed_info", msgId, answer.MsgId, answer.Body.Length, 0));
        }
        else
        {
            context.Session.Outbox.Requeue(answer);
        }
    }

    private EncryptedOutcome Refuse(MessageContext context, EnvelopeHeader header, AdmissionVerdict verdict)
    {
        if (verdict.Action == AdmissionAction.BadSalt)
        {
            context.Answer(Serialize("bad_server_salt", header.MsgId, header.SeqNo, (int)BadMsgCode.BadServerSalt,
                salts.Current(context.AuthKeyId, context.Now)), contentRelated: false);
            return new EncryptedOutcome(0, "salt_mismatch", verdict.Reason);
        }

        context.Answer(Serialize("bad_msg_notification", header.MsgId, header.SeqNo, (int)verdict.Code!), contentRelated: false);
        return new EncryptedOutcome(0, "message_refused", verdict.Reason);
    }

    private bool SaltAccepted(MessageContext context, EnvelopeHeader header) =>
        salts.IsAccepted(context.AuthKeyId, header.Salt, context.Now)
        || (context.StoredKey.InitialSalt == header.Salt && context.Now - context.StoredKey.CreatedAt < InitialSaltLifetime);

    // What gzip_packed carries: one object, or a body that does not parse (answered like any other); null when it does
    // not unpack within the limit or carries another wrapper (gzip_packed, msg_container).
    private MessageBody? Unpack(TlObject packed)
    {
        if (!GzipPacked.TryUnpack(packed.Get<byte[]>("packed_data"),
            behaviour.Violates(ServiceViolations.GzipUnbounded) ? int.MaxValue : MaxUnpackedLength, out byte[] data))
        {
            return null;
        }

        MessageBody inner = MessageBody.Read(_codec, data);
        if (inner.Object is { } nested && nested.Combinator.Id == ContentRelated.GzipPacked && behaviour.Violates(Faults.Violations.RobustnessViolations.NestedGzipUnpacked))
        {
            return Unpack(nested);
        }

        return inner.ConstructorId is ContentRelated.GzipPacked or ContentRelated.MsgContainer ? null : inner;
    }

    /// <summary>The key, from the cache or the store; a temporary key past its expires_at is forgotten (-404).</summary>
    private bool TryGetKey(long authKeyId, DateTimeOffset now, [NotNullWhen(true)] out AuthKey? key, [NotNullWhen(true)] out StoredAuthKey? stored)
    {
        (key, stored) = (null, null);
        if (!TryCached(authKeyId, now, out var cached))
        {
            StoredAuthKey? loaded = authKeyId == 0 ? null : store.Load(authKeyId, now);
            if (loaded is null)
            {
                return false;
            }

            cached = Cache(authKeyId, AuthKey.FromBytes(loaded.Key), loaded, now);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(loaded.Key);
        }

        if (cached.Stored.ExpiresAt is { } expires && now >= expires && !behaviour.Violates(HandshakeViolations.ExpiredTemporaryKeyAccepted))
        {
            Forget(authKeyId);
            return false;
        }

        (key, stored) = cached;
        return true;
    }

    private bool TryCached(long authKeyId, DateTimeOffset now, out (AuthKey Key, StoredAuthKey Stored) cached)
    {
        lock (_keysLock)
        {
            return _keys.TryGet(authKeyId, now, out cached);
        }
    }

    /// <summary>Caches a loaded key (the one another thread cached first wins) and evicts the idle and the surplus.</summary>
    private (AuthKey Key, StoredAuthKey Stored) Cache(long authKeyId, AuthKey key, StoredAuthKey stored, DateTimeOffset now)
    {
        lock (_keysLock)
        {
            if (_keys.TryGet(authKeyId, now, out var first))
            {
                key.Dispose(); // nobody else has seen this copy
                return first;
            }

            _keys.Set(authKeyId, (key, stored), now);
            _keys.Trim(_bounds.MaxCachedKeys, now - _bounds.KeyIdle, (_, _) => true);
            return (key, stored);
        }
    }

    private void DestroyKey(long authKeyId)
    {
        store.Destroy(authKeyId);
        Forget(authKeyId);
    }

    private void Forget(long authKeyId)
    {
        sessions.RemoveKey(authKeyId);
        lock (_keysLock)
        {
            _keys.Remove(authKeyId); // not disposed: a packet being processed on another thread may still hold it
        }
    }

    private byte[] Serialize(string name, params object?[] values) => _codec.Serialize(new TlObject(_schema[name], values));
}
