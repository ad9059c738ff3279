namespace Testbed.Server.Sessions;

/// <summary>
/// How much per-client state stays in memory: sessions and decoded auth keys, each capped in count and dropped when
/// unused for a while (<see cref="ServerSettings"/>; docs/server.md "Memory bounds").
/// </summary>
/// <param name="MaxSessions">Sessions of all keys together; past it the least recently used is evicted.</param>
/// <param name="SessionIdle">An unused session is evicted after this long.</param>
/// <param name="MaxCachedKeys">Auth keys kept decoded; the database holds them all.</param>
/// <param name="KeyIdle">An unused auth key leaves the cache after this long.</param>
internal sealed record MemoryBounds(int MaxSessions, TimeSpan SessionIdle, int MaxCachedKeys, TimeSpan KeyIdle)
{
    /// <summary>The defaults of <see cref="ServerSettings"/>.</summary>
    public static MemoryBounds Default { get; } = From(new ServerSettings());

    public static MemoryBounds From(ServerSettings settings) => new(settings.MaxSessions, TimeSpan.FromMinutes(settings.SessionIdleMinutes),
        settings.MaxCachedAuthKeys, TimeSpan.FromMinutes(settings.AuthKeyIdleMinutes));
}
