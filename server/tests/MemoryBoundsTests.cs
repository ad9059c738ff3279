using System.Buffers.Binary;
using Testbed.Protocol.Envelope;

namespace Testbed.Server.Tests;

/// <summary>What a running server keeps per client is bounded and given back (docs/server.md "Memory bounds").</summary>
public sealed class MemoryBoundsTests
{
    /// <summary>
    /// With room for one key, each key used evicts the other from the cache, and the database stays the source: a key
    /// evicted is loaded again, and one the database lost meanwhile is unknown (-404) — a cache that never evicts
    /// would still have served it.
    /// </summary>
    [Fact]
    public async Task An_auth_key_evicted_from_the_cache_is_loaded_again_from_the_database()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:MaxCachedAuthKeys=1");
        await using TestSession a = await ClientFlows.OpenSessionAsync(server);
        await using TestSession b = await ClientFlows.OpenSessionAsync(server);
        Assert.True(await PongsAsync(a));
        Assert.True(await PongsAsync(b)); // a is evicted
        Assert.True(await PongsAsync(a)); // a is loaded again; b is evicted

        Assert.True(server.AuthKeys.Destroy(b.Key.Id));
        (byte[] wire, _) = b.Session.Encrypt(ClientFlows.Ping(2), contentRelated: true);
        Assert.Equal(-404, BinaryPrimitives.ReadInt32LittleEndian(await b.Connection.RoundTripAsync(wire)));
    }

    [Theory]
    [InlineData(nameof(ServerSettings.GarbageMessagesPerMinute))]
    [InlineData(nameof(ServerSettings.MaxSessions))]
    [InlineData(nameof(ServerSettings.SessionIdleMinutes))]
    [InlineData(nameof(ServerSettings.MaxCachedAuthKeys))]
    [InlineData(nameof(ServerSettings.AuthKeyIdleMinutes))]
    public void A_bound_of_zero_is_refused_at_start_up(string name)
    {
        var settings = new ServerSettings();
        typeof(ServerSettings).GetProperty(name)!.SetValue(settings, 0);
        Assert.StartsWith($"--Testbed:{name}=0 cannot work", settings.Problem(), StringComparison.Ordinal);
    }

    private static async Task<bool> PongsAsync(TestSession test)
    {
        (byte[] wire, _) = test.Session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        return ClientFlows.Open(test.Session, await test.Connection.RoundTripAsync(wire)).Any(o => o.Combinator.Name == "pong");
    }
}
