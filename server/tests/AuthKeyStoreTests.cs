using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>
/// Auth key storage, on each backend: creation times, on which the restart floor of docs/protocol.md §3.4 depends,
/// and ids that are never reused.
/// </summary>
public abstract class AuthKeyStoreTests(TestStorage storage) : StorageTest(storage)
{
    private static readonly DateTimeOffset Created = new DateTimeOffset(2026, 12, 2, 5, 0, 0, TimeSpan.Zero).AddMilliseconds(600);

    /// <summary>
    /// A key made 0.6 s into a second must not read as made at the second's start: the server that started 0.3 s
    /// into that second would then take it for a key older than itself and refuse its msg_ids from before the start
    /// with 20 (MID-009 found this). After a restart, whole seconds are all there is, and that errs the safe way.
    /// Only the first key's second can be the start's, so the exact times of keys made later are not kept.
    /// </summary>
    [Fact]
    public void A_key_made_by_this_process_keeps_its_exact_creation_time_and_a_restart_reads_whole_seconds()
    {
        var now = Created.AddMinutes(1);
        var store = new AuthKeyStore(Storage.Open());
        Assert.True(store.TryAdd(42, new byte[256], 1, Created, null, 7));
        Assert.Equal(Created, store.Load(42, now)!.CreatedAt);
        Assert.True(store.TryAdd(43, new byte[256], 1, Created.AddSeconds(2), null, 7));
        Assert.Equal(Created.AddMilliseconds(1400), store.Load(43, now)!.CreatedAt); // a later second is not remembered

        var afterRestart = new AuthKeyStore(Storage.Open());
        Assert.Equal(Created.AddMilliseconds(-600), afterRestart.Load(42, now)!.CreatedAt);
    }

    [Fact]
    public void A_key_survives_a_restart_with_its_salt_and_expiry_and_its_id_is_never_reused()
    {
        byte[] key = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        var store = new AuthKeyStore(Storage.Open());
        Assert.True(store.TryAdd(-7, key, null, Created, Created.AddHours(1), long.MinValue));
        Assert.False(store.TryAdd(-7, new byte[256], 1, Created, null, 0)); // taken: the handshake asks for a retry

        var afterRestart = new AuthKeyStore(Storage.Open());
        StoredAuthKey stored = afterRestart.Load(-7, Created)!;
        Assert.Equal(key, stored.Key);
        Assert.Equal(((long?)long.MinValue, (DateTimeOffset?)Created.AddHours(1).AddMilliseconds(-600)), (stored.InitialSalt, stored.ExpiresAt));
        Assert.Null(afterRestart.Find(-7, Created.AddHours(2))); // expired
        Assert.True(afterRestart.Destroy(-7));
        Assert.False(afterRestart.Destroy(-7));
        Assert.Null(afterRestart.Find(-7, Created));
        Assert.True(afterRestart.Contains(-7));
        Assert.False(afterRestart.TryAdd(-7, key, null, Created, null, 0));
    }
}

public sealed class SqliteAuthKeyStoreTests() : AuthKeyStoreTests(new SqliteTestStorage());

[Collection(SharedPostgres.Name)]
public sealed class PostgresAuthKeyStoreTests(PostgresFixture postgres) : AuthKeyStoreTests(new PostgresTestStorage(postgres));
