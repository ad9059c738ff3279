using System.Data.Common;
using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>The nodes of a cluster start at once against one PostgreSQL (docs/server.md, "Storage backends").</summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresMigrationTests(PostgresFixture postgres) : IDisposable
{
    private const int Nodes = 8;

    private readonly PostgresTestStorage _storage = new(postgres);

    /// <summary>
    /// Each node reads the schema version and applies what is missing; without the advisory lock two read version 0
    /// and both create auth_keys, and one fails to start ("relation already exists" or a catalog unique violation).
    /// </summary>
    [Fact]
    public async Task Nodes_starting_at_once_against_an_empty_database_all_start_and_migrate_it_once()
    {
        using var together = new Barrier(Nodes);
        Database[] nodes = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(_ => Task.Factory.StartNew(() =>
        {
            together.SignalAndWait(TimeSpan.FromSeconds(30));
            return _storage.Open();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        Assert.All(nodes, node => Assert.Equal(3, node.SchemaVersion));
        using DbConnection connection = nodes[0].Open();
        using DbCommand count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM schema_migrations;";
        Assert.Equal(3L, count.ExecuteScalar());
    }

    public void Dispose() => _storage.Dispose();
}
