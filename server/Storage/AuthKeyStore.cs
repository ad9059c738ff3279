using System.Collections.Concurrent;
using System.Data.Common;

namespace Testbed.Server.Storage;

/// <summary>The auth keys the handshake created, by auth_key_id.</summary>
public sealed class AuthKeyStore(Database database)
{
    // The exact creation time of the keys this process made in the whole second of its first key. The database keeps
    // whole seconds, and a key made in the second the server started, after it, must not read as older than the start:
    // the start's msg_id floor (docs/protocol.md §3.4) is for keys whose history a restart lost, and this process has
    // all of such a key's. Only that second is ambiguous, and the server makes its session registry (its start) before
    // it listens, so no key is older than the start and only the first key's second can be the start's: a key made in
    // a later second reads, in whole seconds, as made after the start. So the map holds one second's keys, not all.
    private readonly ConcurrentDictionary<long, DateTimeOffset> _madeByThisProcess = new();
    private long _firstKeySecond = long.MinValue;

    /// <summary>Stores a new key. Returns false if its id is already taken (the handshake then asks for a retry).</summary>
    public bool TryAdd(long id, byte[] key, int? dataCenter, DateTimeOffset createdAt, DateTimeOffset? expiresAt, long initialSalt)
    {
        ArgumentNullException.ThrowIfNull(key);
        using DbConnection connection = database.Open();
        using DbCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO auth_keys (id, key, created_at, expires_at, dc, initial_salt) "
            + "VALUES (@id, @key, @created, @expires, @dc, @salt) ON CONFLICT DO NOTHING;";
        insert.AddParameter("@salt", initialSalt);
        insert.AddParameter("@id", id);
        insert.AddParameter("@key", key);
        insert.AddParameter("@created", createdAt.ToUnixTimeSeconds());
        insert.AddParameter("@expires", expiresAt?.ToUnixTimeSeconds());
        insert.AddParameter("@dc", dataCenter);
        if (insert.ExecuteNonQuery() != 1)
        {
            return false;
        }

        long second = createdAt.ToUnixTimeSeconds();
        long first = Interlocked.CompareExchange(ref _firstKeySecond, second, long.MinValue);
        if (first == long.MinValue || first == second)
        {
            _madeByThisProcess[id] = createdAt;
        }

        return true;
    }

    /// <summary>Whether a key with this id exists (expired or not: an id is never reused).</summary>
    public bool Contains(long id)
    {
        using DbConnection connection = database.Open();
        using DbCommand query = connection.CreateCommand();
        query.CommandText = "SELECT 1 FROM auth_keys WHERE id = @id;";
        query.AddParameter("@id", id);
        return query.ExecuteScalar() is not null;
    }

    /// <summary>The key with this id, unless absent or expired at <paramref name="now"/>.</summary>
    public byte[]? Find(long id, DateTimeOffset now) => Load(id, now)?.Key;

    /// <summary>The key with its creation time and first salt, unless absent or expired at <paramref name="now"/>.</summary>
    public StoredAuthKey? Load(long id, DateTimeOffset now)
    {
        using DbConnection connection = database.Open();
        using DbCommand query = connection.CreateCommand();
        query.CommandText = "SELECT key, created_at, initial_salt, expires_at FROM auth_keys WHERE id = @id AND (expires_at IS NULL OR expires_at > @now);";
        query.AddParameter("@id", id);
        query.AddParameter("@now", now.ToUnixTimeSeconds());
        using DbDataReader row = query.ExecuteReader();
        return row.Read()
            ? new StoredAuthKey((byte[])row[0], _madeByThisProcess.GetValueOrDefault(id, DateTimeOffset.FromUnixTimeSeconds(row.GetInt64(1))),
                row.IsDBNull(2) ? null : row.GetInt64(2), row.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeSeconds(row.GetInt64(3)))
            : null;
    }

    /// <summary>
    /// destroy_auth_key: removes the key material. The row stays, emptied and expired, so the id is never reused.
    /// Returns false if there was no live key.
    /// </summary>
    public bool Destroy(long id)
    {
        using DbConnection connection = database.Open();
        using DbCommand update = connection.CreateCommand();
        update.CommandText = "UPDATE auth_keys SET key = @zeros, expires_at = 0 WHERE id = @id AND (expires_at IS NULL OR expires_at > 0);";
        update.AddParameter("@zeros", new byte[256]); // a parameter, not SQLite's zeroblob(256), which PostgreSQL lacks
        update.AddParameter("@id", id);
        return update.ExecuteNonQuery() == 1;
    }
}

/// <summary>An auth key as stored.</summary>
/// <param name="Key">The 256 bytes.</param>
/// <param name="CreatedAt">When the handshake made it: exact for keys this process made, whole seconds for older ones.</param>
/// <param name="InitialSalt">The salt the handshake gave the client, if recorded.</param>
/// <param name="ExpiresAt">When a temporary key stops working; null for a permanent key.</param>
public sealed record StoredAuthKey(byte[] Key, DateTimeOffset CreatedAt, long? InitialSalt, DateTimeOffset? ExpiresAt);
