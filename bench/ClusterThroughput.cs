using Testbed.ClusterScripts;

namespace Testbed.Bench;

/// <summary>
/// The throughput of a running cluster (cluster/up.sh): encrypted ping round trips per second with 16 sessions
/// through HAProxy's front, against the same through one of its nodes directly, in the same run. On a 2-core machine
/// that also runs the clients, three nodes, PostgreSQL, Redis and HAProxy, this shows what the cluster costs, not how
/// it scales (docs/cluster.md, "Scaling model").
/// Run: <c>cluster/up.sh --dir D &amp;&amp; dotnet run -c Release --project bench -- cluster-throughput D [PINGS]</c>.
/// </summary>
internal static class ClusterThroughput
{
    public static async Task RunAsync(string[] args, TextWriter output)
    {
        if (args.Length < 1 || !ClusterDirectory.TryRead(args[0], out ClusterDirectory? cluster))
        {
            throw new ArgumentException("cluster-throughput DIR [PINGS]: DIR is a running cluster's directory (cluster/up.sh --dir DIR)");
        }

        int pings = args.Length > 1 && int.TryParse(args[1], out int n) && n > 0 ? n : 20_000;
        double[] rates = await ClusterCosts.ConcurrentRatesAsync(
            [(cluster!.Port("NODE1_TCP"), cluster.PublicKey), (cluster.Port("FRONT_TCP"), cluster.PublicKey)], pings);
        (double node, double front) = (rates[0], rates[1]);
        output.WriteLine($"cluster-throughput: {pings:N0} pings, 16 sessions, {cluster["NODES"]} nodes");
        output.WriteLine($"| path | round trips/s |");
        output.WriteLine($"|---|---|");
        output.WriteLine($"| node 1 directly (Redis-backed replay state) | {node:N0} |");
        output.WriteLine($"| HAProxy's front, round robin over {cluster["NODES"]} nodes | {front:N0} |");
    }
}
