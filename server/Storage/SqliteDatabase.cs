using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Testbed.Server.Storage;

/// <summary>
/// The embedded SQLite database in the data directory, the default backend: WAL journal with full synchronous
/// commits, so a committed write survives a kill -9, and versioned schema migrations applied at start-up.
/// </summary>
public sealed class SqliteDatabase : Database
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
    public SqliteDatabase(string path)
        : base(Migrations)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using (DbConnection connection = Open())
        {
            Execute(connection, null, "PRAGMA journal_mode = WAL;");
        }

        Migrate();
    }

    /// <inheritdoc/>
    public override string Description => "SQLite";

    /// <inheritdoc/>
    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
        return connection;
    }

    /// <inheritdoc/>
    public override void ReleaseIdleConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => ReleaseIdleConnections();

    /// <summary>Nothing to add: Microsoft.Data.Sqlite begins a transaction IMMEDIATE, which already takes the write lock.</summary>
    protected override void LockMigrations(DbConnection connection, DbTransaction transaction)
    {
    }
}
