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

    public ServerSession GetOrCreate(long authKeyId, long sessionId)
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
                    sessions.Remove(sessions.Values.MinBy(s => s.LastUsed)!.SessionId);
                }

                sessions[sessionId] = session = new ServerSession(sessionId, policy, clock);
            }

            session.LastUsed = clock.GetUtcNow();
            return session;
        }
    }
}
