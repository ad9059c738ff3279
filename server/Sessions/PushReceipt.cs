namespace Testbed.Server.Sessions;

/// <summary>
/// What to record when the first session acknowledges a pushed update: an id (a chat message's), and where it goes.
/// An id rather than a closure, so that a node of a cluster that delivers the update for another can record it too
/// (docs/cluster.md, "Delivery across nodes").
/// </summary>
/// <param name="Id">The id to record.</param>
/// <param name="Record">Records it (idempotent: two nodes may each see an acknowledgement).</param>
internal sealed record PushReceipt(long Id, Action<long> Record);
