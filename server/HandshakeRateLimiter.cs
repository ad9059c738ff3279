using System.Net;
using System.Threading.RateLimiting;

namespace Testbed.Server;

/// <summary>
/// Limits unencrypted (handshake) messages per peer address with a token bucket, so one address cannot make the
/// server spend RSA and Diffie-Hellman work without bound; past the limit the answer is -429. Idle buckets are
/// dropped by the limiter, so memory follows the number of active addresses.
/// </summary>
public sealed class HandshakeRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _limiter;

    /// <summary>Allows <paramref name="messagesPerMinute"/> handshake messages per address (a handshake takes three).</summary>
    public HandshakeRateLimiter(int messagesPerMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messagesPerMinute, 1);
        _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = messagesPerMinute,
                TokensPerPeriod = messagesPerMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one message's token for <paramref name="address"/>; false when it has none left.</summary>
    public bool TryAcquire(IPAddress? address)
    {
        using RateLimitLease lease = _limiter.AttemptAcquire(address ?? IPAddress.None);
        return lease.IsAcquired;
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();
}
