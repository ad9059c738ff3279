namespace Testbed.Protocol.Transport;

/// <summary>
/// Bytes that many <see cref="FrameBuffer"/>s may hold together. A peer is bounded by one buffer's limit, but a server
/// with thousands of peers each holding an almost complete frame would still grow without bound (issue 13: 1,000
/// connections stalled on 1 MiB frames took the reference server from 88 MiB to 1.7 GiB); a shared budget bounds the
/// sum. Thread-safe and lock-free.
/// </summary>
public sealed class BufferBudget(long limit)
{
    private long _inUse;

    /// <summary>The most the buffers may hold together.</summary>
    public long Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), limit, "A budget must be positive.");

    /// <summary>Bytes taken now.</summary>
    public long InUse => Volatile.Read(ref _inUse);

    /// <summary>Takes <paramref name="bytes"/>; false (and nothing taken) if that would pass the limit.</summary>
    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long now = Volatile.Read(ref _inUse);
        while (true)
        {
            if (now + bytes > Limit)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _inUse, now + bytes, now);
            if (seen == now)
            {
                return true;
            }

            now = seen;
        }
    }

    /// <summary>Gives back bytes taken earlier.</summary>
    public void Give(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref _inUse, -bytes);
    }
}
