using StackExchange.Redis;

namespace Testbed.Server.Cluster;

/// <summary>
/// The node's connections to the cluster's Redis (--Testbed:Redis, StackExchange.Redis configuration syntax): the
/// multiplexed one for delivery across nodes and for noticing a lost and restored Redis, and the ledger's own. A node
/// starts even while Redis is down and reconnects on its own; until Redis answers, every message is refused with 20,
/// as nothing can be proved fresh (docs/cluster.md, "Shared replay state", when Redis fails). Each time the connection is made or restored
/// the node marks the epoch, which is a no-op unless Redis has lost its state.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly ILogger _log;
    private readonly string _endpoint;

    public RedisConnection(string configuration, Protocol.Sessions.AdmissionPolicy policy, TimeProvider clock, string? nodeName, ILogger log)
    {
        _log = log;
        string name = string.Concat((nodeName ?? Environment.MachineName).Select(c => char.IsWhiteSpace(c) ? '_' : c));
        Instance = $"{name}/{Environment.ProcessId}/{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        ConfigurationOptions options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;   // start anyway, refuse until it answers
        options.ConnectTimeout = 2000;
        // A call a packet waits on (a claim, the directory, the handshake budget) waits at most this long before the
        // message is refused. Generous: on a loaded 2-core machine a claim queued behind a burst has taken over 1 s.
        options.SyncTimeout = 5000;
        options.ConnectRetry = 1;
        _endpoint = string.Join(",", options.EndPoints.Select(e => e.ToString()));
        Pool = new RespConnectionPool(options.EndPoints[0], options.Password, TimeSpan.FromMilliseconds(options.SyncTimeout));
        Ledger = new RedisReplayLedger(Pool, policy, Instance);
        Multiplexer = ConnectionMultiplexer.Connect(options);
        Multiplexer.ConnectionRestored += (_, _) =>
        {
            MarkEpoch(clock);
            ClusterLog.RedisConnected(_log, _endpoint);
        };
        Multiplexer.ConnectionFailed += (_, e) => ClusterLog.RedisLost(_log, _endpoint, e.FailureType.ToString());
        if (Multiplexer.IsConnected)
        {
            MarkEpoch(clock);
            ClusterLog.RedisConnected(_log, _endpoint);
        }
        else
        {
            ClusterLog.RedisLost(_log, _endpoint, "not reachable at start-up");
        }
    }

    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>
    /// This node process among the cluster's: its name (blanks made underscores), pid and a random part, so that a node
    /// restarted under the same name is another instance (it holds none of the sessions' state the old one held).
    /// </summary>
    public string Instance { get; }

    /// <summary>The blocking connections for the calls a packet waits on (the ledger's claims, the session directory).</summary>
    public RespConnectionPool Pool { get; }

    public RedisReplayLedger Ledger { get; }

    public void Dispose()
    {
        Multiplexer.Dispose();
        Pool.Dispose();
    }

    private void MarkEpoch(TimeProvider clock)
    {
        try
        {
            Ledger.MarkEpoch(clock.GetUtcNow());
        }
        catch (IOException e)
        {
            ClusterLog.RedisLost(_log, _endpoint, e.Message);
        }
    }
}

