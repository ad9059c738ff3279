using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Sessions;

/// <summary>
/// Live sessions by auth key and session_id, at most <see cref="MaxSessionsPerKey"/> per key (the least recently used
/// is dropped past that), so a client cannot grow server memory by inventing session ids. Thread-safe.
/// A session made again after its history was lost — the server restarted, or the session was evicted or destroyed —
/// refuses msg_ids from before the loss (docs/protocol.md §3.4), so what was captured earlier cannot be replayed into it.
/// A key made since the start has no history from before it, so the start is no floor for its sessions: a fresh
/// client whose clock lags the server's is not refused for the server having started a moment earlier.
/// </summary>
internal sealed class SessionRegistry(AdmissionPolicy policy, TimeProvider clock)
{
    public const int MaxSessionsPerKey = 64;

    private readonly Dictionary<long, Dictionary<long, ServerSession>> _byKey = [];

    // Per key: the highest msg_id any forgotten session of it had processed (a key's sessions share one client clock).
    private readonly Dictionary<long, long> _forgotten = [];

    // Every session's history before this instance started is lost.
    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private readonly Lock _lock = new();

    /// <summary>The session, made now if it is new.</summary>
    /// <param name="authKeyId">The key's id.</param>
    /// <param name="key">The key.</param>
    /// <param name="sessionId">The client's session_id.</param>
    /// <param name="keyCreatedAt">When the handshake made the key: one made since the start lost no history to it.</param>
    public ServerSession GetOrCreate(long authKeyId, AuthKey key, long sessionId, DateTimeOffset keyCreatedAt)
    {
        lock (_lock)
        {
            if (!_byKey.TryGetValue(authKeyId, out Dictionary<long, ServerSession>? sessions))
            {
                _byKey[authKeyId] = sessions = [];
            }

            if (!sessions.TryGetValue(sessionId, out ServerSession? session))
            {
                if (sessions.Count >= MaxSessionsPerKey)
                {
                    Forget(authKeyId, sessions, sessions.MinBy(s => s.Value.LastUsed).Key);
                }

                long startFloor = keyCreatedAt < _started ? MsgId.FromTime(_started) : 0;
                long forgottenBelow = Math.Max(startFloor, _forgotten.GetValueOrDefault(authKeyId) + 1);
                sessions[sessionId] = session = new ServerSession(authKeyId, key, sessionId, policy, clock, forgottenBelow);
            }

            session.LastUsed = clock.GetUtcNow();
            return session;
        }
    }

    /// <summary>The live sessions of an auth key (a snapshot).</summary>
    public ServerSession[] SessionsOf(long authKeyId)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(authKeyId, out Dictionary<long, ServerSession>? sessions) ? [.. sessions.Values] : [];
        }
    }

    /// <summary>destroy_session: forgets one session. False if there was none.</summary>
    /// <param name="authKeyId">The key.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="keepFloor">False only for a test-only violation (MsgIdViolations.DestroyedSessionReplayable).</param>
    public bool Remove(long authKeyId, long sessionId, bool keepFloor = true)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(authKeyId, out Dictionary<long, ServerSession>? sessions) && Forget(authKeyId, sessions, sessionId, keepFloor);
        }
    }

    private bool Forget(long authKeyId, Dictionary<long, ServerSession> sessions, long sessionId, bool keepFloor = true)
    {
        if (!sessions.Remove(sessionId, out ServerSession? session))
        {
            return false;
        }

        if (keepFloor && session.Admission.Window.Highest is long highest)
        {
            _forgotten[authKeyId] = Math.Max(highest, _forgotten.GetValueOrDefault(authKeyId));
        }

        return true;
    }

    /// <summary>destroy_auth_key: forgets every session of the key.</summary>
    public void RemoveKey(long authKeyId)
    {
        lock (_lock)
        {
            _byKey.Remove(authKeyId);
            _forgotten.Remove(authKeyId); // the key itself is gone: nothing can be sent under it again
        }
    }

    /// <summary>How many sessions are live (for the memory benchmark and /server-info).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byKey.Values.Sum(s => s.Count);
            }
        }
    }
}
