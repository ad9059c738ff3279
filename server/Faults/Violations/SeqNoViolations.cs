using Testbed.Protocol.Messages;

namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the seqno cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class SeqNoViolations
{
    /// <summary>The admission does not make refusal 35 (<see cref="Protocol.Sessions.AdmissionPolicy.IgnoredSeqNoRefusals"/>).</summary>
    public static readonly Violation EvenContentSeqNoAccepted = new("SEQ-001",
        "processes a content-related message with an even seq_no (answering a ping with pong) instead of refusing it with bad_msg_notification 35");

    /// <summary>The admission does not make refusal 34.</summary>
    public static readonly Violation OddServiceSeqNoAccepted = new("SEQ-002",
        "processes a message that is not content-related (msgs_ack) with an odd seq_no, silently, instead of refusing it with bad_msg_notification 34");

    /// <summary>The admission does not make refusal 32.</summary>
    public static readonly Violation RepeatedSeqNoAccepted = new("SEQ-003",
        "processes a content-related message whose seq_no repeats (or is below) the previous one's instead of refusing it with bad_msg_notification 32");

    /// <summary>Every msgs_ack that passes the session checks is then refused (EncryptedMessageProcessor); an odd one still gets 34 first.</summary>
    public static readonly Violation AckRefused = new("SEQ-004",
        "refuses every msgs_ack with bad_msg_notification 34, one with a correct even seq_no included, and does not act on it");

    /// <summary>
    /// Lateness judged by seq_no (<see cref="Protocol.Sessions.AdmissionPolicy.LateMessagesOrderedBySeqNo"/>): a
    /// late message whose seq_no is above the highest processed one's passes strict order and the seq_no check. A late
    /// message with a fitting seq_no (MID-006's) is still refused with 16.
    /// </summary>
    public static readonly Violation LateOrderedBySeqNo = new("SEQ-005",
        "processes a late message (msg_id below one already processed) whose seq_no is above that message's, instead of refusing it with 33, 16 or 20");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
        [EvenContentSeqNoAccepted, OddServiceSeqNoAccepted, RepeatedSeqNoAccepted, AckRefused, LateOrderedBySeqNo];

    /// <summary>The seq_no refusals a server with these violations does not make.</summary>
    internal static HashSet<BadMsgCode> RefusalsNotMade(ServerBehaviour behaviour) =>
    [
        .. new[] { (EvenContentSeqNoAccepted, BadMsgCode.OddSeqNoExpected), (OddServiceSeqNoAccepted, BadMsgCode.EvenSeqNoExpected),
            (RepeatedSeqNoAccepted, BadMsgCode.SeqNoTooLow) }.Where(v => behaviour.Violates(v.Item1)).Select(v => v.Item2),
    ];
}
