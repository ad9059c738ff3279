namespace Testbed.Protocol.Sessions;

/// <summary>
/// How strict <see cref="SessionAdmission"/> is. The defaults are the hardened rules; every switch that relaxes one
/// reproduces a published weakness, so the server's fault profiles can turn it on (docs/protocol.md §7).
/// </summary>
public sealed record AdmissionPolicy
{
    /// <summary>The hardened rules.</summary>
    public static AdmissionPolicy Hardened { get; } = new();

    /// <summary>How many msg_ids the replay window keeps (a fault profile sets 1).</summary>
    public int WindowCapacity { get; init; } = Messages.MsgIdWindow.DefaultCapacity;

    /// <summary>How far in the past a msg_id may be.</summary>
    public TimeSpan MaxPast { get; init; } = Messages.MsgIdRules.DefaultMaxPast;

    /// <summary>How far in the future a msg_id may be.</summary>
    public TimeSpan MaxFuture { get; init; } = Messages.MsgIdRules.DefaultMaxFuture;

    /// <summary>
    /// Refuse any message whose msg_id is below one already processed (the fix for the 2022 reordering attack).
    /// Off: a late message inside the window is processed when its seq_no fits between its neighbours (the pre-fix rule).
    /// </summary>
    public bool StrictOrder { get; init; } = true;

    /// <summary>
    /// Refuse a msg_id below every remembered one (code 20). Off (a fault): such a message is judged like any other,
    /// which is what allowed replays after the window overflowed (Sušánka &amp; Kokeš 2017).
    /// </summary>
    public bool RefuseBelowWindow { get; init; } = true;

    /// <summary>Fault: process a msg_id already seen.</summary>
    public bool AcceptDuplicates { get; init; }

    /// <summary>Fault: skip the -300 s / +30 s check.</summary>
    public bool IgnoreTimeWindow { get; init; }

    /// <summary>Fault: skip the server-salt check.</summary>
    public bool IgnoreSalt { get; init; }

    /// <summary>Refuse a msg_id whose two low bits are not the sender's (code 18). Off only for a test-only violation.</summary>
    public bool CheckMsgIdLowBits { get; init; } = true;

    /// <summary>seq_no refusals (32, 33, 34, 35) not made: the message goes on as if its seq_no were right. Empty but for test-only violations.</summary>
    public IReadOnlySet<Messages.BadMsgCode> IgnoredSeqNoRefusals { get; init; } = new HashSet<Messages.BadMsgCode>();

    /// <summary>
    /// Judge lateness by seq_no: a message with a lower msg_id than one processed is taken as in order when its seq_no
    /// is above the highest processed message's, and its seq_no is then compared with that message's only. Off but for
    /// a test-only violation.
    /// </summary>
    public bool LateMessagesOrderedBySeqNo { get; init; }
}
