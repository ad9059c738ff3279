using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Tests;

/// <summary>
/// What a running server keeps per client is bounded and given back (docs/server.md "Memory bounds"), and garbage
/// cannot spend a real client's handshake budget (docs/protocol.md §6).
/// </summary>
public sealed class MemoryBoundsTests
{
    /// <summary>
    /// Garbage from an address (a NAT's other hosts) is not a handshake query, so it does not spend the handshake
    /// budget: before, 120 such packets made the address's real handshakes get -429 for up to a minute.
    /// </summary>
    [Fact]
    public async Task A_thousand_garbage_packets_leave_the_address_able_to_make_a_key()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using var http = new HttpTestTransport(server.HttpBase);
        byte[] notAQuery = UnencryptedMessage.Build(4, [1, 2, 3, 4, 5, 6, 7, 8]);
        for (int i = 0; i < 1000; i++)
        {
            (int status, _) = await http.PostAsync(i % 2 == 0 ? new byte[40] : notAQuery); // malformed, or well-formed but no query
            Assert.Equal(404, status);
        }

        HandshakeClientDone done = await ClientFlows.HandshakeAsync(http, server.PublicKey);
        Assert.Equal(AuthKey.Size, done.AuthKey.Length);
    }

    [Fact]
    public async Task Garbage_past_its_own_per_address_limit_gets_minus_429()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:GarbageMessagesPerMinute=3");
        await using var http = new HttpTestTransport(server.HttpBase);
        var statuses = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            (int status, byte[] body) = await http.PostAsync(new byte[40]);
            statuses.Add(BinaryPrimitives.ReadInt32LittleEndian(body));
            Assert.Equal(-statuses[^1], status);
        }

        Assert.Equal([-404, -404, -404, -429, -429], statuses);
        Assert.Equal(AuthKey.Size, (await ClientFlows.HandshakeAsync(http, server.PublicKey)).AuthKey.Length);
    }

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

    private static async Task<bool> PongsAsync(TestSession test)
    {
        (byte[] wire, _) = test.Session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        return ClientFlows.Open(test.Session, await test.Connection.RoundTripAsync(wire)).Any(o => o.Combinator.Name == "pong");
    }
}
