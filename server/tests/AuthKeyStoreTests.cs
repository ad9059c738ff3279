using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>Auth key storage: creation times, on which the restart floor of docs/protocol.md §3.4 depends.</summary>
public sealed class AuthKeyStoreTests
{
    /// <summary>
    /// A key made 0.6 s into a second must not read as made at the second's start: the server that started 0.3 s
    /// into that second would then take it for a key older than itself and refuse its msg_ids from before the start
    /// with 20 (MID-009 found this). After a restart, whole seconds are all there is, and that errs the safe way.
    /// Only the first key's second can be the start's, so the exact times of keys made later are not kept.
    /// </summary>
    [Fact]
    public void A_key_made_by_this_process_keeps_its_exact_creation_time_and_a_restart_reads_whole_seconds()
    {
        string directory = Directory.CreateTempSubdirectory("authkeys-").FullName;
        try
        {
            string path = Path.Combine(directory, "testbed.db");
            var created = new DateTimeOffset(2026, 12, 2, 5, 0, 0, TimeSpan.Zero).AddMilliseconds(600);
            var now = created.AddMinutes(1);
            var store = new AuthKeyStore(new SqliteDatabase(path));
            Assert.True(store.TryAdd(42, new byte[256], 1, created, null, 7));
            Assert.Equal(created, store.Load(42, now)!.CreatedAt);
            Assert.True(store.TryAdd(43, new byte[256], 1, created.AddSeconds(2), null, 7));
            Assert.Equal(created.AddMilliseconds(1400), store.Load(43, now)!.CreatedAt); // a later second is not remembered

            var afterRestart = new AuthKeyStore(new SqliteDatabase(path));
            Assert.Equal(created.AddMilliseconds(-600), afterRestart.Load(42, now)!.CreatedAt);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
