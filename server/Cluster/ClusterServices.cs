using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Server.Sessions;
using Testbed.Server.Faults;

namespace Testbed.Server.Cluster;

/// <summary>The cluster's shared state, registered when --Testbed:Redis is set (docs/cluster.md).</summary>
internal static class ClusterServices
{
    /// <summary>Worker threads the pool keeps ready per core on a node with Redis (<see cref="KeepCoresBusyWhileClaimsWait"/>).</summary>
    private const int WorkerThreadsPerCore = 8;

    /// <summary>
    /// Registers the Redis connection, delivery across nodes (pushes, and the undelivered updates of a session a node
    /// takes over), the session directory, the pending handshakes, the cluster-wide handshake budget, the replay
    /// ledger and the session journal (which needs the ledger's claims). Returns whether the
    /// sessions' history outlives this process: with the ledger it lives in Redis, so a restarted node has lost nothing
    /// and needs no start floor (docs/protocol.md §3.4); the ledger's epoch takes that floor's place for a Redis that
    /// lost its state.
    /// </summary>
    public static bool Add(IServiceCollection services, ServerSettings settings, ServerBehaviour behaviour, AdmissionPolicy admission)
    {
        if (settings.Redis is not { } redis)
        {
            return false;
        }

        KeepCoresBusyWhileClaimsWait();

        services.AddSingleton(provider => new RedisConnection(redis, admission, provider.GetRequiredService<TimeProvider>(), settings.NodeName,
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("Testbed.Cluster")));
        services.AddSingleton<ClusterPushes>();
        services.AddSingleton<ISessionDirectory, RedisSessionDirectory>();
        services.AddSingleton<UndeliveredUpdates>();
        services.AddSingleton<IPendingHandshakeStore>(provider => new RedisPendingHandshakes(provider.GetRequiredService<RedisConnection>().Pool,
            SaltSecret.LoadOrCreate(settings.DataDirectory)));
        services.AddSingleton(provider => new ClusterHandshakeLimit(provider.GetRequiredService<RedisConnection>().Pool,
            behaviour.Violates(Faults.Violations.RobustnessViolations.HandshakeFloodUnlimited)
                ? Faults.Violations.RobustnessViolations.UnlimitedHandshakesPerMinute : settings.HandshakeMessagesPerMinute,
            provider.GetRequiredService<TimeProvider>()));
        if (behaviour.PerNodeReplayState)
        {
            return false;
        }

        services.AddSingleton<IReplayLedger>(provider => provider.GetRequiredService<RedisConnection>().Ledger);
        services.AddSingleton<SessionJournal>();
        return true;
    }

    /// <summary>
    /// A claim, a handshake step and the handshake budget block the packet's thread for a Redis round trip
    /// (<see cref="RespConnection"/>), a wait the thread pool does not see. With its default minimum of one worker per
    /// core, two waiting claims left the cores of this 2-core machine a quarter idle while packets queued: 16 sessions
    /// got about 12,000 ping round trips a second; with eight workers per core, 14,300 to 16,100 (docs/cluster.md,
    /// "Figures"). The pool still adds threads beyond the minimum as it sees fit.
    /// </summary>
    private static void KeepCoresBusyWhileClaimsWait()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, WorkerThreadsPerCore * Environment.ProcessorCount), completionPorts);
    }
}
