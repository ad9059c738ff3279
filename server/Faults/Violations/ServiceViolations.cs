namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the service cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class ServiceViolations
{
    /// <summary>ServiceMessageHandler: pong names no request.</summary>
    public static readonly Violation PongWithoutPingMsgId = new("SVC-001", "answers ping with a pong whose msg_id is 0 instead of the ping's msg_id");

    /// <summary>ServiceMessageHandler: the disconnect timer is still armed; only the pong is left out.</summary>
    public static readonly Violation PingDelayDisconnectUnanswered = new("SVC-002", "arms ping_delay_disconnect's timer but answers it with no pong");

    /// <summary>
    /// EncryptedMessageProcessor.AdmitContainer: the messages after the first are neither checked nor processed. SVC-025's
    /// ping sits second in its container, beside an unknown function, so it goes unanswered too.
    /// </summary>
    public static readonly Violation ContainerOnlyFirstProcessed = new("SVC-003", "processes only the first message of a valid msg_container and drops the rest")
    {
        AlsoBreaks = ["SVC-025"],
    };

    /// <summary>EncryptedMessageProcessor.ContainerEntryProblem.</summary>
    public static readonly Violation NestedContainerAccepted = new("SVC-004", "accepts a msg_container inside a msg_container instead of refusing the outer one with code 64");

    /// <summary>EncryptedMessageProcessor.ContainerEntryProblem.</summary>
    public static readonly Violation InnerMsgIdAboveContainerAccepted = new("SVC-005",
        "accepts a container whose inner msg_id is not below the container's instead of refusing it with code 64");

    /// <summary>EncryptedMessageProcessor.ContainerEntryProblem.</summary>
    public static readonly Violation InnerLengthUnchecked = new("SVC-006",
        "accepts a container whose inner bytes field is not its body's length instead of refusing it with code 64");

    /// <summary>
    /// ServiceMessageHandler: msgs_state_info; the other statuses (1, 2, 3) are unchanged. An answered RPC call is a
    /// received message too, so SVC-022, which asks for 4 beside the flags 32 and 64, cannot pass either.
    /// </summary>
    public static readonly Violation ReceivedReportedNotReceived = new("SVC-007", "reports a processed msg_id in msgs_state_info as not received (2) instead of 4")
    {
        AlsoBreaks = ["SVC-022"],
    };

    /// <summary>EncryptedMessageProcessor.AdmitOne: unpacking and processing are unchanged, only the seq_no check sees the wrapper.</summary>
    public static readonly Violation GzipClassifiedByWrapper = new("SVC-008",
        "classifies a gzip_packed message by its wrapper (not content-related), so a packed ping with an odd seq_no is refused with 35");

    /// <summary>EncryptedMessageProcessor.Unpack: the limit is int.MaxValue instead of the packet limit.</summary>
    public static readonly Violation GzipUnbounded = new("SVC-009", "unpacks gzip_packed without a size limit, so a decompression bomb is processed instead of refused");

    /// <summary>ServiceMessageHandler: the request is answered at once with whatever is due (nothing). SVC-011 applies over HTTP only, where the violation test runs it.</summary>
    public static readonly Violation HttpWaitIgnored = new("SVC-011", "ignores http_wait: the HTTP request is answered at once instead of held until max_wait");

    /// <summary>ServiceMessageHandler: only when no answer to the named request is remembered.</summary>
    public static readonly Violation UnknownDropAnswerUnanswered = new("SVC-012",
        "answers rpc_drop_answer for a request it never saw with nothing instead of rpc_result(rpc_answer_unknown)");

    /// <summary>EncryptedMessageProcessor.AdmitContainer: the other entry checks are unchanged.</summary>
    public static readonly Violation ContainerCountUnbounded = new("SVC-013", "processes a msg_container of more than 1024 messages instead of refusing it with code 64");

    /// <summary>ServiceMessageHandler: over TCP and WebSocket (an HTTP request has no connection to close).</summary>
    public static readonly Violation LongAckClosesConnection = new("SVC-014", "closes the connection on a msgs_ack listing more than 8192 msg_ids instead of ignoring it");

    /// <summary>ServerSession.SendDue: the container header of a packet of several messages; the messages inside keep server ids.</summary>
    public static readonly Violation ContainerClientLowBits = new("SVC-017", "seals a packet of several messages under a container msg_id with a client's low bits (00)");

    /// <summary>ServerSession.SendDue: the container header of a packet of several messages.</summary>
    public static readonly Violation ContainerOddSeqNo = new("SVC-018", "gives a server msg_container (not content-related) an odd seq_no");

    /// <summary>
    /// EncryptedMessageProcessor: each session's msg_id source runs <see cref="SkewedClock"/> ahead of the server's
    /// clock, while the handshake's server_time and everything else keep the true time.
    /// </summary>
    public static readonly Violation MsgIdsOffServerClock = new("SVC-019", "stamps a session's msg_ids with a clock 10 minutes ahead of the server_time its handshake gave");

    /// <summary>How far <see cref="MsgIdsOffServerClock"/> moves the msg_id clock: twice the 300 s the case allows.</summary>
    public static readonly TimeSpan SkewedClock = TimeSpan.FromMinutes(10);

    /// <summary>
    /// ServerSession.SendDue: every packet goes in a container (the messages inside keep their own increasing ids, so
    /// acknowledgements and re-sends still find them); only the container headers count down.
    /// </summary>
    public static readonly Violation PacketMsgIdsDecrease = new("SVC-020", "seals each packet of a session under a container msg_id 4 below the previous packet's");

    /// <summary>ServiceMessageHandler: ping_delay_disconnect is still answered with pong; no timer is armed or reset.</summary>
    public static readonly Violation PingDelayDisconnectTimerIgnored = new("SVC-021",
        "answers ping_delay_disconnect with pong but never closes the connection when the delay passes");

    /// <summary>ServiceMessageHandler: msgs_state_info; received, unanswered and unknown ids are reported as before.</summary>
    public static readonly Violation AnsweredReportedUnanswered = new("SVC-022",
        "reports an RPC call it answered in msgs_state_info as received only (4), without the flags 32 and 64");

    /// <summary>ServiceMessageHandler: a function outside the served ones is ignored like a notification.</summary>
    public static readonly Violation UnservedFunctionUnanswered = new("SVC-023",
        "answers a function it knows but does not serve with nothing instead of rpc_result(rpc_error)");

    /// <summary>ServiceMessageHandler.DropAnswer: rpc_answer_dropped is still sent, but the answer stays in the outbox.</summary>
    public static readonly Violation DroppedAnswerKept = new("SVC-024",
        "answers rpc_drop_answer with rpc_answer_dropped but keeps the answer waiting, so msg_resend_req sends it again");

    /// <summary>
    /// EncryptedMessageProcessor: the server as it was before issue 14 — a packet with any message that does not parse
    /// (alone, or inside a container) is refused whole with -404, which real clients read as a lost auth key. ENV-016,
    /// whose garbage message data is such a packet, would fail too (another category, not run beside this one).
    /// </summary>
    public static readonly Violation UnknownFunctionRefusesPacket = new("SVC-025",
        "refuses a whole packet with -404 when one message in it names an unknown function, dropping the pings and acks beside it");

    /// <summary>ServiceMessageHandler: invokeWithLayer and initConnection are answered like any function the server does not serve (the other wrappers are still unwrapped).</summary>
    public static readonly Violation WrappersNotUnwrapped = new("SVC-026",
        "answers invokeWithLayer(initConnection(...)) with rpc_error 501 instead of unwrapping it and running the query inside");

    /// <summary>ServiceMessageHandler: invokeAfterMsg(s) runs its query at once whatever the named messages' state.</summary>
    public static readonly Violation InvokeAfterIgnored = new("SVC-027",
        "runs invokeAfterMsg's query at once though the named message was never answered, instead of refusing it (MSG_WAIT_FAILED)");

    /// <summary>SessionDelivery.Push: pushed updates get a response's msg_id class.</summary>
    public static readonly Violation PushesStampedAsAnswers = new("SVC-028",
        "gives updates it pushes unprompted a response's msg_id (1 mod 4) instead of 3 mod 4");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
    [
        PongWithoutPingMsgId, PingDelayDisconnectUnanswered, ContainerOnlyFirstProcessed, NestedContainerAccepted, InnerMsgIdAboveContainerAccepted,
        InnerLengthUnchecked, ReceivedReportedNotReceived, GzipClassifiedByWrapper, GzipUnbounded, HttpWaitIgnored, UnknownDropAnswerUnanswered, ContainerCountUnbounded,
        LongAckClosesConnection, ContainerClientLowBits, ContainerOddSeqNo, MsgIdsOffServerClock, PacketMsgIdsDecrease, PingDelayDisconnectTimerIgnored,
        AnsweredReportedUnanswered, UnservedFunctionUnanswered, DroppedAnswerKept, UnknownFunctionRefusesPacket, WrappersNotUnwrapped,
        InvokeAfterIgnored, PushesStampedAsAnswers,
    ];
}
