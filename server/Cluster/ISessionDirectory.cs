namespace Testbed.Server.Cluster;

/// <summary>
/// Which sessions the cluster's nodes hold, per auth key, so that destroy_session names a session wherever it lives
/// (docs/cluster.md, "Sessions across nodes"): a client's sessions may be on several nodes at once.
/// </summary>
internal interface ISessionDirectory
{
    /// <summary>Records a session a node has begun to serve (best effort: a lost record only makes destroy_session answer none).</summary>
    void Announce(long authKeyId, long sessionId);

    /// <summary>Forgets a session on every node; true when the cluster knew it.</summary>
    bool Destroy(long authKeyId, long sessionId);
}
