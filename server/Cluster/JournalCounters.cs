namespace Testbed.Server.Cluster;

/// <summary>
/// A session's server-side counters as a node has them (docs/cluster.md, "Sessions across nodes"): how many
/// content-related messages the server has sent in it (its next seq_no is twice that plus one) and its last msg_id.
/// </summary>
internal readonly record struct JournalCounters(int ContentRelatedSent, long LastMsgId);
