using System.Net;
using System.Threading.RateLimiting;

namespace Testbed.Server;

/// <summary>
/// Limits unencrypted messages per peer address with two token buckets: one for handshake queries, so one address
/// cannot make the server spend RSA and Diffie-Hellman work without bound, and a far larger one for everything else
/// (malformed or not a handshake query), which costs a -404 and a log line. They are apart so that garbage from an
/// address — a NAT's other hosts, or an attacker sharing it — never spends the handshake budget of a real client there
/// (docs/protocol.md §6). Past either limit the answer is -429. Idle buckets are dropped by the limiter, so memory
/// follows the number of active addresses.
/// </summary>
public sealed class HandshakeRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _handshakes;
    private readonly PartitionedRateLimiter<IPAddress> _others;

    /// <summary>Allows, per address and minute, <paramref name="handshakeMessagesPerMinute"/> handshake queries (a
    /// handshake takes three) and <paramref name="otherMessagesPerMinute"/> other unencrypted messages.</summary>
    public HandshakeRateLimiter(int handshakeMessagesPerMinute, int otherMessagesPerMinute)
    {
        _handshakes = PerAddress(handshakeMessagesPerMinute);
        _others = PerAddress(otherMessagesPerMinute);
    }

    /// <summary>Takes one message's token for <paramref name="address"/>; false when it has none left.</summary>
    /// <param name="address">The peer.</param>
    /// <param name="handshakeQuery">Whether the message is a handshake query (<see cref="HandshakeQuery"/>).</param>
    public bool TryAcquire(IPAddress? address, bool handshakeQuery)
    {
        using RateLimitLease lease = (handshakeQuery ? _handshakes : _others).AttemptAcquire(address ?? IPAddress.None);
        return lease.IsAcquired;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _handshakes.Dispose();
        _others.Dispose();
    }

    private static PartitionedRateLimiter<IPAddress> PerAddress(int messagesPerMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messagesPerMinute, 1);
        return PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = messagesPerMinute,
                TokensPerPeriod = messagesPerMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }
}
