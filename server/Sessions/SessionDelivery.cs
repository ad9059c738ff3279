using Testbed.Protocol.Sessions;
using Testbed.Server.Faults;

namespace Testbed.Server.Sessions;

/// <summary>
/// Sends server messages on sessions: the due messages after a client's packet, and updates pushed by the chat layer
/// to every session of an auth key, live or not (a session without a connection gets them when its client returns).
/// In a cluster a push also goes to the other nodes (<see cref="Forward"/>), which hold the key's other sessions.
/// Thread-safe; takes each session's lock in turn, never two at once.
/// </summary>
internal sealed class SessionDelivery(SessionRegistry sessions, ServerSaltSchedule salts, ServerBehaviour behaviour, TimeProvider clock,
    Cluster.SessionJournal? journal = null)
{
    /// <summary>A session used this recently counts as online even without an open connection (HTTP polls).</summary>
    private static readonly TimeSpan OnlineWindow = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Seals and sends what is due on <paramref name="session"/>; the caller holds its lock. In a cluster the session
    /// journal is told what changed first, so that its write is on its way to Redis before the client can have the
    /// packet and move to another node.
    /// </summary>
    public void SendDue(ServerSession session, DateTimeOffset now)
    {
        journal?.Write(session);
        session.SendDue(salts.Current(session.AuthKeyId, now), now, behaviour);
    }

    /// <summary>
    /// Where a push goes besides this node's sessions: the cluster's other nodes (Cluster.ClusterPushes), or nowhere.
    /// Arguments: the key, the update, the receipt's id, the session to skip.
    /// </summary>
    public Action<long, byte[], long?, long?>? Forward { get; set; }

    /// <summary>Pushes an update to every session of the key, on this node and, in a cluster, on the others.</summary>
    /// <param name="authKeyId">The recipient's auth key.</param>
    /// <param name="body">The serialized update.</param>
    /// <param name="receipt">Recorded when the first session on this node acknowledges it.</param>
    /// <param name="exceptSessionId">A session that already has it (the sender's own).</param>
    public void Push(long authKeyId, byte[] body, PushReceipt? receipt = null, long? exceptSessionId = null)
    {
        PushHere(authKeyId, body, receipt, exceptSessionId);
        Forward?.Invoke(authKeyId, body, receipt?.Id, exceptSessionId);
    }

    /// <summary>
    /// Queues a content-related message (kept until acknowledged) on every session of the key this node holds and
    /// sends it where a connection can carry it; an HTTP session's waiting request is woken instead.
    /// </summary>
    /// <param name="authKeyId">The recipient's auth key.</param>
    /// <param name="body">The serialized update.</param>
    /// <param name="receipt">Recorded when the first session acknowledges it.</param>
    /// <param name="exceptSessionId">A session that already has it (the sender's own).</param>
    public void PushHere(long authKeyId, byte[] body, PushReceipt? receipt = null, long? exceptSessionId = null)
    {
        int acknowledged = 0;
        PushReceipt? once = receipt is null ? null : receipt with
        {
            Record = id =>
            {
                if (Interlocked.Exchange(ref acknowledged, 1) == 0)
                {
                    receipt.Record(id);
                }
            },
        };
        DateTimeOffset now = clock.GetUtcNow();
        foreach (ServerSession session in sessions.SessionsOf(authKeyId).Where(s => s.SessionId != exceptSessionId))
        {
            lock (session.Lock)
            {
                session.Outbox.Add(body, contentRelated: true, keepUntilAcked: true, once,
                    unprompted: !behaviour.Violates(Faults.Violations.ServiceViolations.PushesStampedAsAnswers));
                if (session.Connection is { IsStreaming: true, IsOpen: true })
                {
                    SendDue(session, now);
                }
                else
                {
                    session.HttpWaiter?.Wake();
                    journal?.Write(session);
                }
            }
        }
    }

    /// <summary>Whether any session of the key has an open stream or was used within the last minute.</summary>
    public bool IsOnline(long authKeyId)
    {
        DateTimeOffset now = clock.GetUtcNow();
        return sessions.SessionsOf(authKeyId)
            .Any(s => s.Connection is { IsStreaming: true, IsOpen: true } || now - s.LastUsed < OnlineWindow);
    }
}
