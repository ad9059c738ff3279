using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Sessions;

/// <summary>
/// Live sessions by auth key and session_id, bounded (docs/server.md "Memory bounds"): at most
/// <see cref="MaxSessionsPerKey"/> per key and <see cref="MemoryBounds.MaxSessions"/> in all (the least recently used
/// is evicted past either), and none unused for longer than <see cref="MemoryBounds.SessionIdle"/>, so neither a client
/// inventing session ids nor clients that go away grow server memory. Eviction is amortised on access, never a scan.
/// Thread-safe.
/// A session made again after its history was lost — the server restarted, or the session was evicted or destroyed —
/// refuses msg_ids from before the loss (docs/protocol.md §3.4), so what was captured earlier cannot be replayed into it.
/// A key made since the start has no history from before it, so the start is no floor for its sessions: a fresh
/// client whose clock lags the server's is not refused for the server having started a moment earlier.
/// </summary>
internal sealed class SessionRegistry
{
    public const int MaxSessionsPerKey = 64;

    private readonly AdmissionPolicy _policy;
    private readonly TimeProvider _clock;
    private readonly MemoryBounds _bounds;
    private readonly Dictionary<long, Dictionary<long, ServerSession>> _byKey = [];
    private readonly LruMap<(long AuthKeyId, long SessionId), ServerSession> _recency = new();

    // Per key: the highest msg_id any forgotten session of it had processed (a key's sessions share one client clock).
    private readonly Dictionary<long, long> _forgotten = [];

    // The floors in the order they were raised, to drop them once the time window refuses all below them.
    private readonly Queue<(long AuthKeyId, long Floor)> _floorsByAge = new();

    // Every session's history before this instance started is lost, unless it lives outside the process.
    private readonly DateTimeOffset _started;
    private readonly bool _historyShared;
    private readonly Lock _lock = new();

    /// <param name="policy">The admission rules.</param>
    /// <param name="clock">The server's clock.</param>
    /// <param name="bounds">The memory bounds.</param>
    /// <param name="historyShared">
    /// Whether the sessions' processed msg_ids are also kept outside this process (a cluster's replay ledger in Redis),
    /// so a restart of this process loses none of them and its start is no floor.
    /// </param>
    public SessionRegistry(AdmissionPolicy policy, TimeProvider clock, MemoryBounds? bounds = null, bool historyShared = false)
    {
        _historyShared = historyShared;
        _policy = policy;
        _clock = clock;
        _bounds = bounds ?? MemoryBounds.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_bounds.MaxSessions, 1);
        _started = clock.GetUtcNow();
    }

    /// <summary>
    /// A forgotten session's floor is kept for twice the past time window: after one window every msg_id below it is
    /// refused as too old anyway (16); the second covers a packet that read the clock a while before its session was made.
    /// </summary>
    private TimeSpan FloorLifetime => 2 * _policy.MaxPast;

    /// <summary>
    /// The session, made now if it is new. A session can be evicted as soon as the caller lets it go, but only while
    /// nobody holds its <see cref="ServerSession.Lock"/>, and it is then <see cref="ServerSession.Retired"/>: a caller
    /// that takes the lock and finds it retired must ask again.
    /// </summary>
    /// <param name="authKeyId">The key's id.</param>
    /// <param name="key">The key.</param>
    /// <param name="sessionId">The client's session_id.</param>
    /// <param name="keyCreatedAt">When the handshake made the key: one made since the start lost no history to it.</param>
    public ServerSession GetOrCreate(long authKeyId, AuthKey key, long sessionId, DateTimeOffset keyCreatedAt)
    {
        lock (_lock)
        {
            DateTimeOffset now = _clock.GetUtcNow();
            DropOldFloors(now);
            if (!_recency.TryGet((authKeyId, sessionId), now, out ServerSession? session))
            {
                if (!_byKey.TryGetValue(authKeyId, out Dictionary<long, ServerSession>? sessions))
                {
                    _byKey[authKeyId] = sessions = [];
                }

                if (sessions.Count >= MaxSessionsPerKey)
                {
                    EvictLeastRecentlyUsedOf(authKeyId, sessions);
                }

                long startFloor = keyCreatedAt < _started && !_historyShared ? MsgId.FromTime(_started) : 0;
                long forgottenBelow = Math.Max(startFloor, _forgotten.GetValueOrDefault(authKeyId) + 1);
                sessions[sessionId] = session = new ServerSession(authKeyId, key, sessionId, _policy, _clock, forgottenBelow);
                _recency.Set((authKeyId, sessionId), session, now);
            }

            session.LastUsed = now;
            _recency.Trim(_bounds.MaxSessions, now - _bounds.SessionIdle, (id, _) => TryForget(id));
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

    /// <summary>
    /// destroy_session: forgets one session. False if there was none, or if another thread is using it at this instant
    /// (it cannot be retired without its lock; the client may ask again).
    /// </summary>
    /// <param name="authKeyId">The key.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="keepFloor">False only for a test-only violation (MsgIdViolations.DestroyedSessionReplayable).</param>
    public bool Remove(long authKeyId, long sessionId, bool keepFloor = true)
    {
        lock (_lock)
        {
            return TryForget((authKeyId, sessionId), keepFloor) && _recency.Remove((authKeyId, sessionId));
        }
    }

    /// <summary>destroy_auth_key: forgets every session of the key.</summary>
    public void RemoveKey(long authKeyId)
    {
        lock (_lock)
        {
            if (_byKey.Remove(authKeyId, out Dictionary<long, ServerSession>? sessions))
            {
                foreach (long sessionId in sessions.Keys)
                {
                    _recency.Remove((authKeyId, sessionId));
                }
            }

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
                return _recency.Count;
            }
        }
    }

    /// <summary>How many keys have a floor left by forgotten sessions (for tests of its bound).</summary>
    public int FloorCount
    {
        get
        {
            lock (_lock)
            {
                return _forgotten.Count;
            }
        }
    }

    private void EvictLeastRecentlyUsedOf(long authKeyId, Dictionary<long, ServerSession> sessions)
    {
        foreach (long sessionId in sessions.OrderBy(s => s.Value.LastUsed).Select(s => s.Key).ToArray())
        {
            if (TryForget((authKeyId, sessionId)))
            {
                _recency.Remove((authKeyId, sessionId));
                return;
            }
        }
    }

    /// <summary>
    /// Retires a session under its lock — taken without waiting, as this thread holds the registry's lock and a
    /// session's holder may be waiting for that — and raises its key's floor to the highest msg_id it processed. Under
    /// the lock no message of it is half-way between its checks and being recorded, so the floor misses none.
    /// False (nothing changed) if the session is in use.
    /// </summary>
    private bool TryForget((long AuthKeyId, long SessionId) id, bool keepFloor = true)
    {
        if (!_byKey.TryGetValue(id.AuthKeyId, out Dictionary<long, ServerSession>? sessions)
            || !sessions.TryGetValue(id.SessionId, out ServerSession? session) || !session.Lock.TryEnter())
        {
            return false;
        }

        try
        {
            session.Retired = true;
            if (keepFloor && session.Admission.Window.Highest is long highest)
            {
                RaiseFloor(id.AuthKeyId, highest);
            }
        }
        finally
        {
            session.Lock.Exit();
        }

        sessions.Remove(id.SessionId);
        if (sessions.Count == 0)
        {
            _byKey.Remove(id.AuthKeyId);
        }

        return true;
    }

    private void RaiseFloor(long authKeyId, long highest)
    {
        bool floorsApply = _policy.RefuseBelowWindow && !_policy.IgnoreTimeWindow; // as SessionAdmission applies them
        if (floorsApply && highest > _forgotten.GetValueOrDefault(authKeyId, long.MinValue))
        {
            _forgotten[authKeyId] = highest;
            _floorsByAge.Enqueue((authKeyId, highest));
        }
    }

    /// <summary>
    /// Drops the floors the time window has made useless (every msg_id below them is refused as too old, code 16), so
    /// the floors grow with the keys whose sessions were forgotten in the last <see cref="FloorLifetime"/>, not forever.
    /// </summary>
    private void DropOldFloors(DateTimeOffset now)
    {
        long useless = MsgId.FromTime(now - FloorLifetime);
        while (_floorsByAge.TryPeek(out (long AuthKeyId, long Floor) oldest) && oldest.Floor < useless)
        {
            _floorsByAge.Dequeue();
            if (_forgotten.GetValueOrDefault(oldest.AuthKeyId) == oldest.Floor)
            {
                _forgotten.Remove(oldest.AuthKeyId);
            }
        }
    }
}
