using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>
/// A fresh, empty store of one backend for one test, so that the storage tests run against SQLite and PostgreSQL
/// alike (docs/server.md, "Storage backends"): <see cref="Open"/> again is the store after a restart, and
/// <see cref="ServerArguments"/> point a server at it.
/// </summary>
public abstract class TestStorage : IDisposable
{
    private readonly List<Database> _opened = [];

    /// <summary>The settings that make a server (in process or not) use this store; its data directory is its own.</summary>
    public abstract string[] ServerArguments { get; }

    /// <summary>Opens the store: a new <see cref="Database"/> each call, as a restarted server (or another node) would.</summary>
    public Database Open()
    {
        Database database = Create();
        lock (_opened)
        {
            _opened.Add(database);
        }

        return database;
    }

    /// <summary>Closes what <see cref="Open"/> opened and removes the store.</summary>
    public void Dispose()
    {
        foreach (Database database in _opened)
        {
            database.Dispose();
        }

        Remove();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new connection to the store, migrated.</summary>
    protected abstract Database Create();

    /// <summary>Deletes the store once every connection to it is closed.</summary>
    protected abstract void Remove();
}
