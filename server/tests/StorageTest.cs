namespace Testbed.Server.Tests;

/// <summary>
/// A test class that runs once per storage backend, through a SQLite and a PostgreSQL subclass: each test gets a fresh
/// store, removed after it.
/// </summary>
public abstract class StorageTest(TestStorage storage) : IDisposable
{
    /// <summary>This test's store.</summary>
    protected TestStorage Storage { get; } = storage;

    public void Dispose()
    {
        Storage.Dispose();
        GC.SuppressFinalize(this);
    }
}
