using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>A SQLite file in a temporary directory, which a server uses as its data directory.</summary>
public sealed class SqliteTestStorage : TestStorage
{
    private readonly string _directory = Directory.CreateTempSubdirectory("testbed-storage-").FullName;

    public override string[] ServerArguments => [$"--Testbed:DataDirectory={_directory}"];

    protected override Database Create() => new SqliteDatabase(Path.Combine(_directory, "testbed.db"));

    protected override void Remove() => Directory.Delete(_directory, recursive: true);
}
