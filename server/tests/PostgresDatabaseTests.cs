using System.Data.Common;
using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>
/// What only the PostgreSQL backend has to get right: the nodes of a cluster start at once against one database
/// (docs/server.md, "Storage backends"), and its pool lets go of idle connections when the server goes quiet.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresDatabaseTests(PostgresFixture postgres) : IDisposable
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

    /// <summary>
    /// <see cref="Transport.MemoryTrim"/> calls <see cref="Database.ReleaseIdleConnections"/> once the server is quiet:
    /// the server's sessions to PostgreSQL end (each a process there, with its own memory), and the next query opens one.
    /// </summary>
    [Fact]
    public async Task Releasing_idle_connections_ends_them_and_the_next_query_opens_one()
    {
        Database database = _storage.Open();
        var keys = new AuthKeyStore(database);
        Assert.True(keys.TryAdd(1, new byte[256], null, DateTimeOffset.UtcNow, null, 0));
        Assert.NotEqual(0, postgres.SessionsOf(_storage.ConnectionString)); // the pool keeps it for the next query

        database.ReleaseIdleConnections();
        for (int poll = 0; poll < 100 && postgres.SessionsOf(_storage.ConnectionString) > 0; poll++)
        {
            await Task.Delay(100); // a backend leaves pg_stat_activity as it exits, just after the socket closes
        }

        Assert.Equal(0, postgres.SessionsOf(_storage.ConnectionString));
        Assert.True(keys.Contains(1));
    }

    /// <summary>
    /// The point of the backend: two server processes on one database serve each other's clients. A key made with one
    /// works on the other, and a message sent through one is in the other's history. (Without Redis, as here, a live
    /// update is pushed only by the node the recipient is connected to; docs/cluster.md.)
    /// </summary>
    [Fact]
    public async Task Two_server_processes_on_one_database_serve_each_others_keys_and_messages()
    {
        await using ServerProcess first = await ServerProcess.StartAsync(_storage.ServerArguments);
        await using ServerProcess second = await ServerProcess.StartAsync(_storage.ServerArguments);
        await using MtProtoClient alice = await Clients.ConnectAsync(first);
        await using MtProtoClient bob = await Clients.ConnectAsync(second);
        long aliceId = await Clients.RegisterAsync(alice, "alice");
        long bobId = await Clients.RegisterAsync(bob, "bob");
        long messageId = (await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 1L, Clients.Text("across nodes")))).Get<long>("id");

        TlObject history = await Clients.WithinPatience(bob.InvokeAsync(Clients.Call("chat.getHistory", aliceId, 0L, 10)));
        Assert.Equal(messageId, Assert.Single(history.Get<object?[]>("messages").Cast<TlObject>()).Get<long>("id"));
        await using MtProtoClient aliceOnSecond = MtProtoClient.Resume(await Clients.TcpAsync(second), alice.AuthKey.Bytes.ToArray());
        Assert.Equal(aliceId, (await Clients.WithinPatience(aliceOnSecond.InvokeAsync(Clients.Call("chat.getSelf")))).Get<long>("id"));
    }

    public void Dispose() => _storage.Dispose();
}
