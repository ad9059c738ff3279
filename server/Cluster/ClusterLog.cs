namespace Testbed.Server.Cluster;

/// <summary>The cluster's log lines (source-generated, like <see cref="ServerLog"/>; event ids from 100).</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(100, LogLevel.Information, "Cluster: replay state shared through Redis at {Endpoint} (docs/cluster.md)")]
    public static partial void RedisConnected(ILogger log, string endpoint);

    [LoggerMessage(101, LogLevel.Warning, "Cluster: Redis at {Endpoint} unavailable ({Reason}); every encrypted message is refused with 20 until it answers again")]
    public static partial void RedisLost(ILogger log, string endpoint, string reason);

    [LoggerMessage(102, LogLevel.Warning, "Cluster: a session journal could not be written or read ({Reason}); logged at most once a minute")]
    public static partial void JournalFailed(ILogger log, string reason);
}
