using Microsoft.Data.Sqlite;

namespace Testbed.Server.Storage;

/// <summary>
/// The embedded SQLite database in the data directory: WAL journal with full synchronous commits, so a committed
/// write survives a kill -9, and versioned schema migrations applied at start-up.
/// </summary>
public sealed class Database : IDisposable
{
    /// <summary>The migrations, in order; the index + 1 is the schema version. Never edit one that has shipped.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE auth_keys (
            id          INTEGER PRIMARY KEY,   -- auth_key_id as the signed 64-bit value the wire carries
            key         BLOB    NOT NULL,      -- the 256-byte auth key
            created_at  INTEGER NOT NULL,      -- Unix seconds
            expires_at  INTEGER,               -- Unix seconds, for temporary keys
            dc          INTEGER
        );
        """,
        """
        ALTER TABLE auth_keys ADD COLUMN initial_salt INTEGER;  -- new_nonce[0:8] XOR server_nonce[0:8]
        """,
        """
        CREATE TABLE users (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            auth_key_id  INTEGER NOT NULL UNIQUE,  -- one chat user per auth key (docs/protocol.md §8)
            name         TEXT    NOT NULL,
            created_at   INTEGER NOT NULL
        );
        CREATE TABLE messages (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            from_id    INTEGER NOT NULL REFERENCES users (id),
            to_id      INTEGER NOT NULL REFERENCES users (id),
            random_id  INTEGER NOT NULL,           -- chosen by the sender: a retried send finds its first message
            date       INTEGER NOT NULL,
            text       TEXT    NOT NULL,
            delivered  INTEGER NOT NULL DEFAULT 0, -- 1 once the recipient acknowledged the update carrying it
            UNIQUE (from_id, random_id)
        );
        CREATE INDEX messages_by_recipient ON messages (to_id, id);
        """,
    ];

    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) the database file and brings its schema up to date.</summary>
    public Database(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using SqliteConnection connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Migrate(connection);
    }

    /// <summary>The schema version after migration.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>Opens a connection with the durability settings every connection needs.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
        return connection;
    }

    /// <summary>
    /// Closes the pooled connections. Without this a server started again in the same process (tests, the lab) would
    /// be handed the previous instance's open connections — to a file that may since have been replaced.
    /// </summary>
    public void Dispose() => ReleaseIdleConnections();

    /// <summary>
    /// Closes the pooled connections not in use now (those in use are closed when given back): the pool grows to the
    /// busiest moment's concurrency and keeps each connection's page cache (up to 2 MB) and descriptors until then.
    /// The server calls it once it has gone quiet (<see cref="Transport.MemoryTrim"/>); the next use opens one again.
    /// </summary>
    public void ReleaseIdleConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private void Migrate(SqliteConnection connection)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using SqliteCommand query = connection.CreateCommand();
        query.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;";
        int current = Convert.ToInt32(query.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException($"The database has schema version {current}, newer than this server ({Migrations.Length}).");
        }

        for (int version = current + 1; version <= Migrations.Length; version++)
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            using SqliteCommand migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            // A newline first: a migration may end in a -- comment, which must not swallow the bookkeeping.
            migrate.CommandText = Migrations[version - 1]
                + $"\nINSERT INTO schema_migrations (version, applied_at) VALUES ({version}, unixepoch());";
            migrate.ExecuteNonQuery();
            transaction.Commit();
        }

        SchemaVersion = Migrations.Length;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
