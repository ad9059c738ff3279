using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Testbed.Server.Tests;

/// <summary>
/// One PostgreSQL for the test run, started by cluster/engines/postgres.sh in a temporary directory on a free loopback
/// port and stopped at the end; each test takes a database of its own (<see cref="CreateDatabase"/>), so tests stay
/// independent. Without PostgreSQL's binaries the script's one line (apt-get install postgresql; ./test.sh installs
/// it) fails every test that needs it: a backend left untested must not pass.
/// </summary>
public sealed class PostgresFixture : IDisposable
{
    private static readonly TimeSpan ScriptPatience = TimeSpan.FromSeconds(90);

    private readonly string _directory = Directory.CreateTempSubdirectory("testbed-postgres-").FullName;

    public PostgresFixture()
    {
        int port = FreePort();
        try
        {
            AdminConnection = Script("start", _directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            Directory.Delete(_directory, recursive: true);
            throw;
        }
    }

    /// <summary>The line postgres.sh printed: the <c>testbed</c> database, whose role may create others.</summary>
    public string AdminConnection { get; }

    /// <summary>Creates an empty database with a random name and returns its connection string.</summary>
    public string CreateDatabase()
    {
        string name = $"testbed_{Guid.NewGuid():N}";
        Admin($"CREATE DATABASE {name};");
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database <see cref="CreateDatabase"/> made, closing the pooled connections to it first.</summary>
    public void DropDatabase(string connectionString)
    {
        using (var connection = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        Admin($"DROP DATABASE {new NpgsqlConnectionStringBuilder(connectionString).Database} WITH (FORCE);");
    }

    /// <summary>How many sessions PostgreSQL has open to the database of <paramref name="connectionString"/>.</summary>
    public long SessionsOf(string connectionString)
    {
        using var connection = new NpgsqlConnection(AdminConnection);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = @name;", connection);
        command.Parameters.AddWithValue("@name", new NpgsqlConnectionStringBuilder(connectionString).Database!);
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Script("stop", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    private void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(AdminConnection);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Runs postgres.sh and returns what it printed; throws with its error line if it fails or hangs.</summary>
    private static string Script(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ScriptPath());
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process script = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        Task<string> output = script.StandardOutput.ReadToEndAsync();
        Task<string> error = script.StandardError.ReadToEndAsync();
        if (!script.WaitForExit(ScriptPatience))
        {
            script.Kill(entireProcessTree: true);
            throw new TimeoutException($"postgres.sh {arguments[0]} did not finish within {ScriptPatience.TotalSeconds} s");
        }

        return script.ExitCode == 0 ? output.Result.Trim()
            : throw new InvalidOperationException($"postgres.sh {arguments[0]} failed (exit {script.ExitCode}): {error.Result.Trim()}");
    }

    private static string ScriptPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Testbed.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Testbed.sln not found above the test binaries"),
            "cluster", "engines", "postgres.sh");
    }

    /// <summary>A loopback port free now (PostgreSQL is not told "any port", so one is chosen for it).</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>The tests that share the run's PostgreSQL; xunit starts it before the first and stops it after the last.</summary>
[CollectionDefinition(Name)]
public sealed class SharedPostgres : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
