namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the msgid cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class MsgIdViolations
{
    /// <summary>The admission's low-bits check is off (<see cref="Protocol.Sessions.AdmissionPolicy.CheckMsgIdLowBits"/>).</summary>
    public static readonly Violation LowBitsUnchecked = new("MID-003",
        "processes a client message whose msg_id does not end in binary 00 (answering a ping with pong) instead of refusing it with bad_msg_notification 18");

    /// <summary>
    /// The admission's past bound is <see cref="NarrowedMaxPast"/> instead of 300 s. MID-001 (301 s old, 16) still
    /// passes; the refusal (16, from the time window) comes before the check that a server started less than 300 s
    /// ago may answer with 20, so the case's "cannot verify" allowance does not cover it.
    /// </summary>
    public static readonly Violation PastWindowNarrowed = new("MID-009",
        "refuses a msg_id more than 150 s old with bad_msg_notification 16: stricter than the required -300 s");

    /// <summary>The admission's future bound is <see cref="NarrowedMaxFuture"/> instead of 30 s; MID-002 (31 s ahead, 17) still passes.</summary>
    public static readonly Violation FutureWindowNarrowed = new("MID-010",
        "refuses a msg_id more than 10 s ahead with bad_msg_notification 17: stricter than the required +30 s");

    /// <summary>
    /// ServiceMessageHandler.DestroySession: the session is forgotten without raising the key's floor
    /// (<see cref="Sessions.SessionRegistry.Remove"/>), so its replay window goes with it; eviction keeps the floor.
    /// </summary>
    public static readonly Violation DestroyedSessionReplayable = new("MID-011",
        "forgets a destroyed session's history without a floor, so the session's messages replayed after destroy_session are executed again");

    /// <summary>
    /// EncryptedMessageProcessor.AdmitOne: a repeated message outside a container is still never processed again, but
    /// gets nothing; a replayed container's messages are still answered again (MID-013), and silence passes the cases
    /// that replay a ping (MID-004, MID-005, MID-008).
    /// </summary>
    public static readonly Violation RepeatedRequestUnanswered = new("MID-012",
        "does not answer an RPC call received again: neither its unacknowledged rpc_result re-sent nor msg_detailed_info once acknowledged");

    /// <summary>EncryptedMessageProcessor.AdmitContainer: nothing inside a replayed container is processed, as before, and nothing answered.</summary>
    public static readonly Violation ReplayedContainerUnanswered = new("MID-013",
        "does not answer the messages of a replayed msg_container: an RPC call in it gets neither its rpc_result again nor msg_detailed_info");

    /// <summary>
    /// EncryptedMessageProcessor.AdmitContainer: only the inner msg_ids are recorded. A replayed container is still no
    /// new execution: each inner message is then a duplicate of its own. It breaks MID-013 too: a container replayed after
    /// a later message is no longer known as a duplicate, so it is refused by strict order (16) instead of answered again.
    /// </summary>
    public static readonly Violation ContainerMsgIdNotRecorded = new("MID-014",
        "does not record a processed container's own msg_id, so strict order lets through a message below it but above its inner messages")
    {
        AlsoBreaks = ["MID-013"],
    };

    /// <summary>How far in the past a msg_id may be under <see cref="PastWindowNarrowed"/>.</summary>
    internal static readonly TimeSpan NarrowedMaxPast = TimeSpan.FromSeconds(150);

    /// <summary>How far ahead a msg_id may be under <see cref="FutureWindowNarrowed"/>.</summary>
    internal static readonly TimeSpan NarrowedMaxFuture = TimeSpan.FromSeconds(10);

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
    [
        LowBitsUnchecked, PastWindowNarrowed, FutureWindowNarrowed, DestroyedSessionReplayable, RepeatedRequestUnanswered,
        ReplayedContainerUnanswered, ContainerMsgIdNotRecorded,
    ];
}
