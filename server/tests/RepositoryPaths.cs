namespace Testbed.Server.Tests;

/// <summary>Where the repository's folders are, found from the test binaries upwards.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Vectors => Path.Combine(Root, "vectors");

    public static string Cluster => Path.Combine(Root, "cluster");

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Testbed.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Testbed.sln not found above the test binaries.");
    }
}
