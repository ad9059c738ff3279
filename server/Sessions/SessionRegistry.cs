using Testbed.Protocol.Envelope;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Sessions;

/// <summary>
/// Live sessions by auth key and session_id, at most <see cref="MaxSessionsPerKey"/> per key (the least recently used
/// is dropped past that), so a client cannot grow server memory by inventing session ids. Thread-safe.
/// </summary>
internal sealed class SessionRegistry(AdmissionPolicy policy, TimeProvider clock)
{
    public const int MaxSessionsPerKey = 64;

    private readonly Dictionary<long, Dictionary<long, ServerSession>> _byKey = [];
    private readonly Lock _lock = new();

    public ServerSession GetOrCreate(long authKeyId, AuthKey key, long sessionId)
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
                    sessions.Remove(sessions.MinBy(s => s.Value.LastUsed).Key);
                }

                sessions[sessionId] = session = new ServerSession(authKeyId, key, sessionId, policy, clock);
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
    public bool Remove(long authKeyId, long sessionId)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(authKeyId, out Dictionary<long, ServerSession>? sessions) && sessions.Remove(sessionId);
        }
    }

    /// <summary>destroy_auth_key: forgets every session of the key.</summary>
    public void RemoveKey(long authKeyId)
    {
        lock (_lock)
        {
            _byKey.Remove(authKeyId);
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
