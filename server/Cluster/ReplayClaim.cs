namespace Testbed.Server.Cluster;

/// <summary>What the cluster-wide replay ledger said of one msg_id (docs/cluster.md, "Shared replay state").</summary>
internal enum ReplayClaim
{
    /// <summary>No node has processed it, and it is now recorded as processed: this node may process it.</summary>
    Fresh,

    /// <summary>
    /// Fresh, and the session already the cluster's: its last message was claimed by another node, or by this one
    /// before it lost the session's state. This node takes the session's state over from the journal first.
    /// </summary>
    FreshTakenOver,

    /// <summary>A node (this one or another) already processed it: answered, never processed again (§3.4).</summary>
    Duplicate,

    /// <summary>
    /// A duplicate in a session served elsewhere: this node takes the session's state over from the journal first,
    /// where the first answer may be waiting.
    /// </summary>
    DuplicateTakenOver,

    /// <summary>Below every msg_id the session's full window remembers: too old to tell (20).</summary>
    BelowWindow,

    /// <summary>Below the highest msg_id any node processed in the session (16, strict order).</summary>
    OutOfOrder,

    /// <summary>From before the shared state was lost (Redis restarted empty), for a key older than the loss (20).</summary>
    Forgotten,

    /// <summary>The shared state could not be asked: nothing can be proved fresh, so nothing is processed (20).</summary>
    Unavailable,
}
