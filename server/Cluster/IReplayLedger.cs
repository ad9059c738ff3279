namespace Testbed.Server.Cluster;

/// <summary>
/// The record of which msg_ids the nodes of a cluster have processed, per session, shared by every node: the replay
/// window and the strict-order floor of docs/protocol.md §3.4, checked and recorded in one atomic step so that two
/// nodes can never both accept one msg_id. A node still runs its own <see cref="Protocol.Sessions.SessionAdmission"/>
/// first (time window, seq_no, salt); the ledger is the last word on freshness. A claim also says which node serves
/// the session now, so that a node learns in the same round trip when a session has moved to it.
/// </summary>
internal interface IReplayLedger
{
    /// <summary>Checks <paramref name="msgId"/> against the session's shared history and, when fresh, records it.</summary>
    /// <param name="authKeyId">The session's key.</param>
    /// <param name="sessionId">The client's session_id.</param>
    /// <param name="msgId">The message's msg_id.</param>
    /// <param name="keyCreatedAt">When the key was made: a key made after the shared state was lost lost nothing to it.</param>
    /// <param name="now">The node's clock, which becomes the loss's floor when it finds the state lost.</param>
    /// <param name="holdsSessionState">Whether this node holds the session's state (false when it has just begun to serve it).</param>
    /// <param name="counters">The session's server-side counters as this node has them, carried to its journal (<see cref="SessionJournal"/>).</param>
    /// <param name="failure">For <see cref="ReplayClaim.Unavailable"/>: why the ledger could not be asked.</param>
    ReplayClaim Claim(long authKeyId, long sessionId, long msgId, DateTimeOffset keyCreatedAt, DateTimeOffset now, bool holdsSessionState,
        JournalCounters? counters, out string? failure);
}
