using System.Diagnostics;
using StackExchange.Redis;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Transport;
using Testbed.Server.Cluster;

namespace Testbed.Bench;

/// <summary>
/// What the cluster's shared state costs a message (docs/cluster.md, "Scaling model"): encrypted ping round trips
/// through a node whose replay windows live in Redis against the in-memory single node, both in this process, in
/// the same run, interleaved in blocks so that drift of the machine falls on both. It reports round trips per second
/// with one session and with <see cref="ConcurrentSessions"/> (interleaved the same way), the latency at the median
/// and p99, the Redis commands each ping cost (Redis's own INFO commandstats, before and after), and a claim's round
/// trip as a node's thread sees it.
/// Redis is started by cluster/engines/redis.sh in a temporary directory and stopped at the end.
/// Run: <c>dotnet run -c Release --project bench -- cluster-costs [PINGS]</c> (default 20,000 per server).
/// </summary>
internal static class ClusterCosts
{
    private const int Blocks = 10;
    private const int WarmUp = 1000;
    private const int ConcurrentSessions = 16;

    public static async Task RunAsync(string[] args, TextWriter output)
    {
        int pings = args.Length > 0 && int.TryParse(args[0], out int n) && n >= Blocks ? n : 20_000;
        await using var redis = await RedisProcess.StartAsync();
        await using BenchServer memory = await BenchServer.StartAsync();
        await using BenchServer shared = await BenchServer.StartAsync($"--Testbed:Redis={redis.Endpoint}");
        await using MtProtoClient onMemory = await ConnectAsync(memory);
        await using MtProtoClient onShared = await ConnectAsync(shared);
        await PingAsync(onMemory, WarmUp, null);
        await PingAsync(onShared, WarmUp, null);

        using ConnectionMultiplexer stats = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        (long RoundTrips, long Commands) before = await CommandCountAsync(stats);
        var memoryTimes = new List<double>(pings);
        var sharedTimes = new List<double>(pings);
        for (int block = 0; block < Blocks; block++)
        {
            await PingAsync(onMemory, pings / Blocks, memoryTimes);
            await PingAsync(onShared, pings / Blocks, sharedTimes);
        }

        // The first INFO is counted in the second reading (Redis counts a command once it has run).
        (long RoundTrips, long Commands) after = await CommandCountAsync(stats);
        double roundTripsPerPing = (after.RoundTrips - before.RoundTrips - 1) / (double)sharedTimes.Count;
        double commandsPerPing = (after.Commands - before.Commands - 1) / (double)sharedTimes.Count;
        (double memoryRate, double sharedRate) = await ConcurrentRatesAsync((memory.TcpPort, memory.PublicKey), (shared.TcpPort, shared.PublicKey), pings);

        output.WriteLine($"cluster-costs: {pings:N0} pings per server, one session, interleaved in {Blocks} blocks; then {ConcurrentSessions} sessions at once, interleaved alike");
        output.WriteLine("| node | round trips/s, 1 session | p50 | p99 | round trips/s, 16 sessions |");
        output.WriteLine("|---|---|---|---|---|");
        output.WriteLine(Row("in memory (one node)", memoryTimes, memoryRate));
        output.WriteLine(Row("replay state in Redis", sharedTimes, sharedRate));
        output.WriteLine($"ratio (Redis / in memory): {Rate(sharedTimes) / Rate(memoryTimes):F2} with one session, "
            + $"{sharedRate / memoryRate:F2} with {ConcurrentSessions}; added latency: p50 {Percentile(sharedTimes, 50) - Percentile(memoryTimes, 50):F1} µs, "
            + $"p99 {Percentile(sharedTimes, 99) - Percentile(memoryTimes, 99):F1} µs");
        output.WriteLine($"Redis round trips per ping: {roundTripsPerPing:F2} (commands sent by the node: EVALSHA, EVAL, PUBLISH...); "
            + $"commands Redis ran per ping: {commandsPerPing:F2} (with those the claim script runs); INFO commandstats over the single-session pings");
        output.WriteLine($"Redis CPU per claim: {await MicrosecondsPerClaimAsync(stats):F1} µs (INFO commandstats, evalsha's usec_per_call): "
            + "one Redis thread's ceiling is about 1,000,000 / that many claims a second");
        (List<double> bare, List<double> claims) = RoundTripsFromANodeThread(redis.Endpoint, pings / 2);
        output.WriteLine($"from a node's thread, one at a time ({pings / 2:N0} each): Redis PING p50 {Percentile(bare, 50):F1} µs, mean {bare.Average():F1} µs; "
            + $"a claim p50 {Percentile(claims, 50):F1} µs, mean {claims.Average():F1} µs (what a message waits for; the rest of the added time is the node's own)");
    }

    /// <summary>
    /// The claim's round trip as a node's thread sees it, through the ledger's own connection, and a bare PING over the
    /// same connection: the part of the claim that is not the script's work but the loopback round trip and the two
    /// processes waking each other.
    /// </summary>
    private static (List<double> Bare, List<double> Claims) RoundTripsFromANodeThread(string endpoint, int count)
    {
        using var pool = new RespConnectionPool(System.Net.IPEndPoint.Parse(endpoint), null, TimeSpan.FromSeconds(5));
        var ledger = new RedisReplayLedger(pool, new AdmissionPolicy(), "bench/claims");
        var (bare, claims) = (new List<double>(count), new List<double>(count));
        DateTimeOffset keyMade = DateTimeOffset.UtcNow;
        for (int i = 0; i < count; i++)
        {
            long started = Stopwatch.GetTimestamp();
            pool.Use(connection => connection.Call("PING"));
            bare.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            started = Stopwatch.GetTimestamp();
            ledger.Claim(1, 1, MsgId.FromTime(now.AddTicks(i)) & ~3L, keyMade, now, holdsSessionState: true, new JournalCounters(i, 0), out _);
            claims.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return (bare, claims);
    }

    private static string Row(string name, List<double> times, double concurrentRate) =>
        $"| {name} | {Rate(times):N0} | {Percentile(times, 50):F1} µs | {Percentile(times, 99):F1} µs | {concurrentRate:N0} |";

    private static double Rate(List<double> microseconds) => 1e6 / microseconds.Average();

    private static double Percentile(List<double> values, int percentile)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1)];
    }

    private static Task<MtProtoClient> ConnectAsync(BenchServer server) => ConnectAsync(server.TcpPort, server.PublicKey);

    private static async Task<MtProtoClient> ConnectAsync(int port, RsaPublicKey key) => await MtProtoClient.ConnectAsync(
        await TcpPacketTransport.ConnectAsync("127.0.0.1", port, TransportFraming.Intermediate), key);

    private static async Task PingAsync(MtProtoClient client, int count, List<double>? times)
    {
        var ping = new TlObject(TlSchema.MTProto["ping"], 1L);
        for (int i = 0; i < count; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await client.RequestAsync(ping);
            times?.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }
    }

    /// <summary>
    /// Round trips per second with <see cref="ConcurrentSessions"/> sessions pinging at once, each on its own key and
    /// connection, through each of <paramref name="paths"/> (port and key), <see cref="Blocks"/> blocks each, taken
    /// in turn so that drift of the machine falls on all alike.
    /// </summary>
    internal static async Task<double[]> ConcurrentRatesAsync((int Port, RsaPublicKey Key)[] paths, int pings)
    {
        MtProtoClient[][] clients = await Task.WhenAll(paths.Select(path =>
            Task.WhenAll(Enumerable.Range(0, ConcurrentSessions).Select(_ => ConnectAsync(path.Port, path.Key)))));
        try
        {
            int perBlock = Math.Max(1, pings / Blocks / ConcurrentSessions);
            var seconds = new double[paths.Length];
            foreach (MtProtoClient[] sessions in clients)
            {
                await Task.WhenAll(sessions.Select(c => PingAsync(c, 100, null)));
            }

            for (int block = 0; block < Blocks; block++)
            {
                for (int path = 0; path < paths.Length; path++)
                {
                    long started = Stopwatch.GetTimestamp();
                    await Task.WhenAll(clients[path].Select(c => PingAsync(c, perBlock, null)));
                    seconds[path] += Stopwatch.GetElapsedTime(started).TotalSeconds;
                }
            }

            return [.. seconds.Select(s => perBlock * ConcurrentSessions * Blocks / s)];
        }
        finally
        {
            foreach (MtProtoClient client in clients.SelectMany(c => c))
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<(double First, double Second)> ConcurrentRatesAsync((int, RsaPublicKey) first, (int, RsaPublicKey) second, int pings)
    {
        double[] rates = await ConcurrentRatesAsync([first, second], pings);
        return (rates[0], rates[1]);
    }

    /// <summary>Redis's own time per EVALSHA, the claim: INFO commandstats' "cmdstat_evalsha:calls=N,usec=U,usec_per_call=P,...".</summary>
    private static async Task<double> MicrosecondsPerClaimAsync(ConnectionMultiplexer redis)
    {
        IGrouping<string, KeyValuePair<string, string>>[] info = await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("commandstats");
        string evalsha = info.SelectMany(g => g).First(pair => pair.Key == "cmdstat_evalsha").Value;
        string perCall = evalsha.Split(',').First(field => field.StartsWith("usec_per_call=", StringComparison.Ordinal));
        return double.Parse(perCall["usec_per_call=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Commands Redis has run, from INFO commandstats ("cmdstat_NAME:calls=N,usec=..."): all of them, and the round
    /// trips among them (every command but those a script runs, which Redis counts as well). Scripts call only GET,
    /// SET, ZSCORE, ZCARD, ZRANGE, ZADD, ZREMRANGEBYRANK and EXPIRE, which the node never sends itself.
    /// </summary>
    private static async Task<(long RoundTrips, long Commands)> CommandCountAsync(ConnectionMultiplexer redis)
    {
        string[] inScripts = ["get", "set", "zscore", "zcard", "zrange", "zadd", "zremrangebyrank", "expire", "hset", "hdel"];
        IGrouping<string, KeyValuePair<string, string>>[] info = await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("commandstats");
        (string Name, long Calls)[] counts = [.. info.SelectMany(g => g).Select(pair => (pair.Key["cmdstat_".Length..],
            long.Parse(pair.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture)))];
        return (counts.Where(c => !inScripts.Contains(c.Name)).Sum(c => c.Calls), counts.Sum(c => c.Calls));
    }
}
