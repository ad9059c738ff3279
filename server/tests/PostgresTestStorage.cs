using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>A database of its own (<c>testbed_…</c>) in the run's one PostgreSQL (<see cref="PostgresFixture"/>).</summary>
public sealed class PostgresTestStorage(PostgresFixture postgres) : TestStorage
{
    /// <summary>The Npgsql connection string of this test's database.</summary>
    public string ConnectionString { get; } = postgres.CreateDatabase();

    public override string[] ServerArguments => ["--Testbed:Storage=postgres", $"--Testbed:PostgresConnection={ConnectionString}"];

    protected override Database Create() => new PostgresDatabase(ConnectionString);

    protected override void Remove() => postgres.DropDatabase(ConnectionString);
}
