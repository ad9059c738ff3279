using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Server.Faults;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Transport;

namespace Testbed.Server.Sessions;

/// <summary>
/// The server's state of one session (auth key + session_id): the admission checks on what the client sends, the
/// outbox of what the server sends, the connection the client last used, and the answers to its requests (so a
/// repeated request is answered, never executed twice). Used under <see cref="Lock"/>.
/// </summary>
internal sealed class ServerSession(long authKeyId, AuthKey key, long sessionId, AdmissionPolicy policy, TimeProvider clock, long forgottenBelow = 0)
{
    private const int MaxRememberedAnswers = MsgIdWindow.DefaultCapacity;
    private readonly Dictionary<long, OutgoingMessage> _answers = [];
    private readonly Queue<long> _answerOrder = new();
    private long _lastContainerMsgId; // for a test-only violation (ServiceViolations.PacketMsgIdsDecrease)

    public Lock Lock { get; } = new();

    public long AuthKeyId { get; } = authKeyId;

    public AuthKey Key { get; } = key;

    /// <summary>The session_id server messages carry (the session-id-unchecked fault moves it to the latest one).</summary>
    public long SessionId { get; set; } = sessionId;

    public SessionAdmission Admission { get; } = new(policy, MsgIdSender.Client, forgottenBelow);

    public SessionOutbox Outbox { get; } = new(clock);

    /// <summary>The counters this node last sent to the session's journal in a cluster (Cluster.SessionJournal).</summary>
    public Cluster.JournalCounters JournalMark { get; set; }

    /// <summary>Whether new_session_created has been sent.</summary>
    public bool Announced { get; set; }

    public DateTimeOffset LastUsed { get; set; }

    /// <summary>The API layer the client declared with invokeWithLayer; null until it does (docs/protocol.md §9.1).</summary>
    public int? Layer { get; set; }

    /// <summary>What the client said of itself in initConnection; null until it does (docs/protocol.md §9.1).</summary>
    public Api.ClientIdentity? Client { get; set; }

    /// <summary>
    /// Whether the registry has evicted or destroyed the session (set under <see cref="Lock"/>): its key's floor is
    /// already taken from it, so no message may be admitted into it any more (docs/protocol.md §3.4).
    /// </summary>
    public bool Retired { get; set; }

    /// <summary>Where server messages go: the connection of the client's latest message.</summary>
    public IClientConnection? Connection { get; private set; }

    /// <summary>The latest HTTP request that asked to wait (http_wait): pushed messages wake it.</summary>
    public IClientConnection? HttpWaiter { get; set; }

    /// <summary>
    /// Makes <paramref name="connection"/> the session's connection. A client on a new connection may have lost
    /// what was sent on the old one, so every unacknowledged message becomes due again.
    /// </summary>
    public void Bind(IClientConnection connection)
    {
        if (Connection is not null && Connection.Id != connection.Id)
        {
            Outbox.ResendAll();
        }

        Connection = connection;
    }

    /// <summary>Remembers the answer to a request (bounded like the replay window).</summary>
    public void RememberAnswer(long requestMsgId, OutgoingMessage answer)
    {
        if (_answers.TryAdd(requestMsgId, answer))
        {
            _answerOrder.Enqueue(requestMsgId);
            if (_answerOrder.Count > MaxRememberedAnswers)
            {
                _answers.Remove(_answerOrder.Dequeue());
            }
        }
    }

    /// <summary>The answer given to a request, if remembered.</summary>
    public OutgoingMessage? AnswerTo(long requestMsgId) => _answers.GetValueOrDefault(requestMsgId);

    /// <summary>
    /// Seals what is due into packets and sends them on the session's connection (one packet only over HTTP).
    /// One message goes as itself the first time; anything else — several messages, or a re-send — goes inside a new
    /// msg_container under a fresh msg_id, so no header is ever encrypted twice (docs/protocol.md §3.9). The
    /// resends-reuse-header fault re-sends a message alone under its original header instead.
    /// </summary>
    public void SendDue(long salt, DateTimeOffset now, ServerBehaviour behaviour)
    {
        if (Connection is not { IsOpen: true } connection)
        {
            return;
        }

        List<OutgoingMessage> due;
        while ((due = Outbox.TakeDue(now)).Count > 0)
        {
            if (behaviour.ResendsReuseHeader)
            {
                foreach (OutgoingMessage resend in due.Where(m => m.Transmissions > 1))
                {
                    connection.Send(Seal(new EnvelopeHeader(salt, SessionId, resend.MsgId, resend.SeqNo), resend.Body));
                }

                due.RemoveAll(m => m.Transmissions > 1);
            }

            if (due.Count == 1 && due[0].Transmissions == 1 && !behaviour.Violates(ServiceViolations.PacketMsgIdsDecrease))
            {
                connection.Send(Seal(new EnvelopeHeader(salt, SessionId, due[0].MsgId, due[0].SeqNo), due[0].Body));
            }
            else if (due.Count > 0)
            {
                byte[] container = MessageContainer.Build(due.Select(m => (m.MsgId, m.SeqNo, m.Body)).ToArray());
                // The container answers the client when anything in it does; one of pushes only is unprompted (§3.1).
                MsgIdSender sender = due.Any(m => MsgId.IsServerResponse(m.MsgId)) ? MsgIdSender.ServerResponse : MsgIdSender.ServerNotification;
                var header = new EnvelopeHeader(salt, SessionId, Outbox.MsgIds.Next(sender), Outbox.SeqNos.Next(false));
                header = behaviour.Violations.Count == 0 ? header : ViolatedContainerHeader(header, behaviour);
                connection.Send(Seal(header, container));
            }

            if (!connection.IsStreaming)
            {
                return; // an HTTP answer is one packet; the rest waits for the next request
            }
        }
    }

    /// <summary>A container header as the test-only service violations break it (<see cref="ServiceViolations"/>).</summary>
    private EnvelopeHeader ViolatedContainerHeader(EnvelopeHeader header, ServerBehaviour behaviour)
    {
        long msgId = behaviour.Violates(ServiceViolations.ContainerClientLowBits) ? header.MsgId & ~3L : header.MsgId;
        if (behaviour.Violates(ServiceViolations.PacketMsgIdsDecrease))
        {
            msgId = _lastContainerMsgId == 0 ? msgId : _lastContainerMsgId - 4;
            _lastContainerMsgId = msgId;
        }

        return header with { MsgId = msgId, SeqNo = header.SeqNo | (behaviour.Violates(ServiceViolations.ContainerOddSeqNo) ? 1 : 0) };
    }

    private byte[] Seal(EnvelopeHeader header, byte[] data)
    {
        int padding = PaddingPolicy.Default.ChooseLength(data.Length);
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
        MessageEnvelope.Encrypt(Key, MessageDirection.ServerToClient, header, data, padding, wire);
        return wire;
    }
}
