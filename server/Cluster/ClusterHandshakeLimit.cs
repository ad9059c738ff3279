using System.Globalization;
using System.Net;

namespace Testbed.Server.Cluster;

/// <summary>
/// The per-address handshake budget for the whole cluster (docs/cluster.md, "What the nodes share"): each node keeps its
/// own token bucket (<see cref="HandshakeRateLimiter"/>), the first line against a flood, and a handshake query must also
/// find room in the address's counter in Redis, so that N nodes do not give one address N budgets. The counter is a
/// fixed one-minute window (INCR, expiring after the minute), so at a window's edge an address may get up to twice the
/// budget within a minute. A node that cannot ask Redis keeps to its own bucket: rate limiting guards against floods,
/// and a lost Redis already refuses every encrypted message.
/// </summary>
internal sealed class ClusterHandshakeLimit(RespConnectionPool pool, int handshakeMessagesPerMinute, TimeProvider clock)
{
    private static readonly RedisScript CountScript =
        new("local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 120) end return n");

    /// <summary>Counts one handshake query from <paramref name="address"/>; false when the cluster's budget for this minute is spent.</summary>
    public bool TryAcquire(IPAddress? address)
    {
        long minute = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        string key = $"tb:hs:{address ?? IPAddress.None}:{minute.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            string? count = pool.Use(c => CountScript.Run(c, [key]));
            return long.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n <= handshakeMessagesPerMinute;
        }
        catch (Exception e) when (e is IOException or RespErrorException)
        {
            return true;
        }
    }
}
