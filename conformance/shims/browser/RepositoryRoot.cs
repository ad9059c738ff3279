namespace Testbed.Shims.Browser;

/// <summary>
/// The checkout this shim was built in: the first directory holding Testbed.sln above the binaries. The page and the
/// fault list are read from its client/ as they are on disk, so a changed client needs no rebuild of the shim.
/// </summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The repository's client/ directory, with a trailing separator.</summary>
    public static string ClientDirectory => Path.Combine(Root.Value, "client") + Path.DirectorySeparatorChar;

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Testbed.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Testbed.sln above {AppContext.BaseDirectory}: the shim runs from its build output in the repository");
    }
}
