using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Testbed.Protocol.Crypto;

/// <summary>
/// Cryptographically secure random bytes for small, frequent requests (message padding, padding lengths).
/// Each call to <see cref="RandomNumberGenerator.Fill"/> costs about 2 µs on this machine whatever its size, more
/// than encrypting a 1 KiB message, so each thread draws 4 KiB at a time and hands the bytes out once each, wiping
/// them from the pool as they leave. The bytes are the system generator's, unchanged.
/// </summary>
internal static class RandomPool
{
    private const int PoolSize = 4096;

    [ThreadStatic]
    private static byte[]? t_pool;

    [ThreadStatic]
    private static int t_used;

    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > PoolSize / 4)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        byte[] pool = t_pool ??= NewPool();
        if (PoolSize - t_used < destination.Length)
        {
            RandomNumberGenerator.Fill(pool);
            t_used = 0;
        }

        Span<byte> taken = pool.AsSpan(t_used, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        t_used += destination.Length;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), by rejection sampling.</summary>
    public static int NextInt32(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        uint bound = (uint)maxExclusive;
        uint limit = uint.MaxValue - (uint.MaxValue % bound); // the largest multiple of bound that fits
        Span<byte> word = stackalloc byte[4];
        while (true)
        {
            Fill(word);
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(word);
            if (value < limit)
            {
                return (int)(value % bound);
            }
        }
    }

    private static byte[] NewPool()
    {
        t_used = PoolSize; // empty: the first request fills it
        return new byte[PoolSize];
    }
}
