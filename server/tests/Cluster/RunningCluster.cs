using Testbed.ClusterScripts;
using System.Diagnostics;
using Testbed.Protocol.Handshake;

namespace Testbed.Server.Tests.Cluster;

/// <summary>
/// A real cluster for the tests: cluster/up.sh's three nodes on PostgreSQL and Redis behind HAProxy, in a temporary
/// directory, taken down by cluster/down.sh. Killing and restarting a node or Redis goes through the same scripts a
/// user would run (docs/cluster.md).
/// </summary>
public sealed class RunningCluster : IAsyncDisposable
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(3);
    private readonly ClusterDirectory _cluster;

    private RunningCluster(ClusterDirectory cluster)
    {
        _cluster = cluster;
    }

    /// <summary>The cluster's directory (engines, nodes' data directories and logs, cluster.env).</summary>
    public string Directory => _cluster.Path;

    /// <summary>The server key every node shares.</summary>
    public RsaPublicKey PublicKey => _cluster.PublicKey;

    /// <summary>HAProxy's MTProto TCP front (round robin over the nodes).</summary>
    public int FrontTcp => Port("FRONT_TCP");

    /// <summary>HAProxy's HTTP/WebSocket front.</summary>
    public int FrontHttp => Port("FRONT_HTTP");

    /// <summary>The cluster's Redis, as host:port.</summary>
    public string Redis => _cluster["REDIS"];

    /// <summary>Node <paramref name="k"/>'s own MTProto TCP port (1-based).</summary>
    public int NodeTcp(int k) => Port($"NODE{k}_TCP");

    /// <summary>Node <paramref name="k"/>'s own HTTP port (1-based).</summary>
    public int NodeHttp(int k) => Port($"NODE{k}_HTTP");

    /// <summary>
    /// Brings a cluster up; <paramref name="nodeArguments"/> go to every node (--fault NAME). Test projects run at once,
    /// each may bring up a cluster, and each takes a random block of ports: a block found taken is tried again elsewhere.
    /// </summary>
    public static async Task<RunningCluster> StartAsync(params string[] nodeArguments)
    {
        for (int attempt = 1; ; attempt++)
        {
            string directory = System.IO.Directory.CreateTempSubdirectory("testbed-cluster-test-").FullName;
            // Ports of its own (up.sh takes B to B+91), below the range the kernel hands out as ephemeral ports (32768 up).
            int basePort = 20_000 + Random.Shared.Next(0, 120) * 100;
            try
            {
                await RunAsync("up.sh", ["--dir", directory, "--base-port", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--", "--Testbed:HandshakeMessagesPerMinute=1000", "--Testbed:LabClock=true", .. nodeArguments]);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("is in use", StringComparison.Ordinal))
            {
                System.IO.Directory.Delete(directory, recursive: true);
                continue;
            }

            return ClusterDirectory.TryRead(directory, out ClusterDirectory? cluster)
                ? new RunningCluster(cluster!)
                : throw new InvalidOperationException($"cluster/up.sh left no cluster.env in {directory}");
        }
    }

    /// <summary>kill -9 of node <paramref name="k"/>.</summary>
    public Task KillNodeAsync(int k) => RunAsync("node.sh", [Directory, "kill", $"{k}"]);

    /// <summary>Starts node <paramref name="k"/> again and waits until it answers.</summary>
    public Task StartNodeAsync(int k) => RunAsync("node.sh", [Directory, "start", $"{k}"]);

    /// <summary>kill -9 of Redis: everything it held is gone (it keeps nothing on disk).</summary>
    public Task KillRedisAsync() => RunAsync("engines/redis.sh", ["kill", Path.Combine(Directory, "redis")]);

    /// <summary>Starts an empty Redis on the same port.</summary>
    public Task StartRedisAsync() => RunAsync("engines/redis.sh", ["start", Path.Combine(Directory, "redis"), Redis.Split(':')[1]]);

    public async ValueTask DisposeAsync() => await RunAsync("down.sh", [Directory]);

    private int Port(string name) => _cluster.Port(name);

    private static async Task RunAsync(string script, string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Cluster, script));
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ScriptLimit);
        await process.WaitForExitAsync(limit.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"cluster/{script} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): "
                + $"{(await errors).Trim()} {(await output).Trim()}");
        }
    }
}
