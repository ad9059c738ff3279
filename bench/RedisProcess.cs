using System.Diagnostics;

namespace Testbed.Bench;

/// <summary>
/// A Redis of the benchmark's own, started by the project's engine script (cluster/engines/redis.sh) in a temporary
/// directory on a free loopback port, and stopped and removed on dispose.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _script;

    private RedisProcess(string directory, string script, int port) => (_directory, _script, Endpoint) = (directory, script, $"127.0.0.1:{port}");

    /// <summary>host:port.</summary>
    public string Endpoint { get; }

    public static async Task<RedisProcess> StartAsync()
    {
        string script = Path.Combine(RepositoryRoot(), "cluster", "engines", "redis.sh");
        string directory = Directory.CreateTempSubdirectory("testbed-bench-redis-").FullName;
        int port = BenchServer.FreePort();
        await RunAsync(script, "start", directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new RedisProcess(directory, script, port);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(_script, "stop", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using Process process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {error.Trim()}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Testbed.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Testbed.sln not found above the benchmark's binaries: run it from the repository.");
    }
}
