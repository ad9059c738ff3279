using System.Globalization;
using Testbed.Protocol.Handshake;

namespace Testbed.ClusterScripts;

/// <summary>
/// A running cluster's directory as cluster/up.sh leaves it (docs/cluster.md, "Files"): cluster.env, a shell file of
/// NAME=VALUE lines (ports, Redis's address, pids), and node 1's public key, which every node shares. Read by the
/// cluster tests and the cluster benchmarks, which link this file.
/// </summary>
internal sealed class ClusterDirectory
{
    private readonly Dictionary<string, string> _environment;

    private ClusterDirectory(string path, Dictionary<string, string> environment, RsaPublicKey publicKey)
    {
        (Path, _environment, PublicKey) = (path, environment, publicKey);
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>The key every node's handshake offers.</summary>
    public RsaPublicKey PublicKey { get; }

    /// <summary>Reads <paramref name="path"/>; false when it holds no cluster.env.</summary>
    public static bool TryRead(string path, out ClusterDirectory? cluster)
    {
        cluster = null;
        string settings = System.IO.Path.Combine(path, "cluster.env");
        if (!File.Exists(settings))
        {
            return false;
        }

        Dictionary<string, string> environment = File.ReadAllLines(settings)
            .Where(line => line.Contains('=', StringComparison.Ordinal) && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
        RsaPublicKey key = RsaPublicKey.FromPem(File.ReadAllText(System.IO.Path.Combine(path, "node1", "server-public.pem")));
        cluster = new ClusterDirectory(path, environment, key);
        return true;
    }

    /// <summary>A setting of cluster.env (REDIS, FRONT_TCP...).</summary>
    public string this[string name] => _environment[name];

    /// <summary>A port of cluster.env (FRONT_TCP, NODE1_HTTP...).</summary>
    public int Port(string name) => int.Parse(_environment[name], CultureInfo.InvariantCulture);
}
