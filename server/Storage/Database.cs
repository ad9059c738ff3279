using System.Data.Common;
using System.Globalization;

namespace Testbed.Server.Storage;

/// <summary>
/// Where auth keys, chat users and messages are kept: SQLite in the data directory (<see cref="SqliteDatabase"/>, the
/// default) or a PostgreSQL that several server processes share (<see cref="PostgresDatabase"/>; docs/server.md,
/// "Storage backends"). The stores speak plain ADO.NET to either, with <c>@name</c> parameters and SQL both dialects
/// accept; what differs (the schema's types, per-connection settings, the migration lock, the pool) is here and in
/// the two subclasses. Every write is one committed statement or transaction, durable once it returns.
/// </summary>
public abstract class Database : IDisposable
{
    private readonly IReadOnlyList<string> _migrations;

    /// <summary>Takes the backend's migrations, in order: the index + 1 is the schema version.</summary>
    protected Database(IReadOnlyList<string> migrations) => _migrations = migrations;

    /// <summary>The schema version after migration.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>Which backend and where, for the start-up line: "SQLite", "PostgreSQL testbed on 127.0.0.1:5432".</summary>
    public abstract string Description { get; }

    /// <summary>Opens a pooled connection, with the settings every connection needs.</summary>
    public abstract DbConnection Open();

    /// <summary>
    /// Closes the pooled connections not in use now (those in use are closed when given back): the pool grows to the
    /// busiest moment's concurrency and keeps each connection's caches and descriptors until then. The server calls it
    /// once it has gone quiet (<see cref="Transport.MemoryTrim"/>); the next use opens one again.
    /// </summary>
    public abstract void ReleaseIdleConnections();

    /// <summary>
    /// Closes the pooled connections. Without this a server started again in the same process (tests, the lab) would
    /// be handed the previous instance's open connections — to a file that may since have been replaced.
    /// </summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets go of the pool; <paramref name="disposing"/> is false only from a finalizer, and there is none.</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>
    /// Brings the schema up to date: every pending migration and its bookkeeping in one transaction, after
    /// <see cref="LockMigrations"/>, so that servers starting at once against one database apply each migration once
    /// (the second reads the version only after the first has committed). Called by each backend's constructor.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database is newer than this server.</exception>
    protected void Migrate()
    {
        using DbConnection connection = Open();
        using DbTransaction transaction = connection.BeginTransaction();
        LockMigrations(connection, transaction);
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);");
        using DbCommand query = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;");
        int current = Convert.ToInt32(query.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (current > _migrations.Count)
        {
            throw new InvalidOperationException($"The database has schema version {current}, newer than this server ({_migrations.Count}).");
        }

        for (int version = current + 1; version <= _migrations.Count; version++)
        {
            Execute(connection, transaction, _migrations[version - 1]);
            using DbCommand record = Command(connection, transaction, "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @now);");
            record.AddParameter("@version", version);
            record.AddParameter("@now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            record.ExecuteNonQuery();
        }

        transaction.Commit();
        SchemaVersion = _migrations.Count;
    }

    /// <summary>Makes concurrent migrations of one database wait for each other, inside <paramref name="transaction"/>.</summary>
    protected abstract void LockMigrations(DbConnection connection, DbTransaction transaction);

    /// <summary>Runs one statement (or several) without parameters.</summary>
    protected static void Execute(DbConnection connection, DbTransaction? transaction, string sql)
    {
        using DbCommand command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
