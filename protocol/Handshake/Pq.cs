using System.Numerics;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The handshake's proof of work (docs/protocol.md §5.1): the server sends pq, a product of two distinct primes
/// that fits in 63 bits, and the client factors it.
/// </summary>
public static class Pq
{
    /// <summary>
    /// Makes pq from two random distinct 31-bit primes (each in [2^30, 2^31)), so pq &lt; 2^62 &lt; 2^63, the size
    /// real servers use.
    /// </summary>
    public static (ulong Pq, uint P, uint Q) Generate()
    {
        uint a = RandomPrime();
        uint b;
        do
        {
            b = RandomPrime();
        }
        while (b == a);

        (uint p, uint q) = a < b ? (a, b) : (b, a);
        return ((ulong)p * q, p, q);
    }

    /// <summary>Splits pq into its two factors p &lt; q (Pollard's rho, Brent's variant).</summary>
    /// <exception cref="ArgumentException">pq is below 4, or a prime, or its smaller factor is 1.</exception>
    public static (ulong P, ulong Q) Factor(ulong pq)
    {
        if (pq < 4)
        {
            throw new ArgumentException($"{pq} has no two factors above 1.", nameof(pq));
        }

        ulong divisor = pq % 2 == 0 ? 2 : FindDivisor(pq);
        ulong other = pq / divisor;
        return divisor < other ? (divisor, other) : (other, divisor);
    }

    /// <summary>Brent's cycle-finding rho with batched gcds; restarts with a new constant on failure.</summary>
    private static ulong FindDivisor(ulong n)
    {
        if (IsPrime(n))
        {
            throw new ArgumentException($"{n} is prime.", nameof(n));
        }

        for (ulong c = 1; ; c++)
        {
            ulong y = 2, x = 2, saved = 2, g = 1, product = 1;
            const int batch = 128;
            for (ulong r = 1; g == 1; r <<= 1)
            {
                x = y;
                for (ulong i = 0; i < r; i++)
                {
                    y = Step(y, c, n);
                }

                for (ulong k = 0; k < r && g == 1; k += batch)
                {
                    saved = y;
                    for (ulong i = 0; i < Math.Min((ulong)batch, r - k); i++)
                    {
                        y = Step(y, c, n);
                        product = MulMod(product, x > y ? x - y : y - x, n);
                    }

                    g = Gcd(product, n);
                }
            }

            if (g == n)
            {
                // The batch overshot: walk it again one step at a time.
                do
                {
                    saved = Step(saved, c, n);
                    g = Gcd(x > saved ? x - saved : saved - x, n);
                }
                while (g == 1);
            }

            if (g != n)
            {
                return g;
            }
        }
    }

    private static ulong Step(ulong value, ulong c, ulong n) => (ulong)(((UInt128)value * value + c) % n);

    private static ulong MulMod(ulong a, ulong b, ulong n) => (ulong)((UInt128)a * b % n);

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static uint RandomPrime()
    {
        while (true)
        {
            uint candidate = (uint)((1 << 30) + RandomPool.NextInt32(1 << 30)) | 1; // pooled: a candidate costs ns, not a 2 µs system call
            if (IsPrime(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>Deterministic Miller-Rabin for 64-bit numbers (these 12 bases are exact below 2^64).</summary>
    internal static bool IsPrime(ulong n)
    {
        if (n < 2)
        {
            return false;
        }

        ReadOnlySpan<ulong> bases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        foreach (ulong small in bases)
        {
            if (n % small == 0)
            {
                return n == small;
            }
        }

        ulong d = n - 1;
        int s = BitOperations.TrailingZeroCount(d);
        d >>= s;
        foreach (ulong a in bases)
        {
            ulong x = PowMod(a, d, n);
            if (x == 1 || x == n - 1)
            {
                continue;
            }

            bool composite = true;
            for (int i = 1; i < s && composite; i++)
            {
                x = MulMod(x, x, n);
                composite = x != n - 1;
            }

            if (composite)
            {
                return false;
            }
        }

        return true;
    }

    private static ulong PowMod(ulong value, ulong exponent, ulong n)
    {
        ulong result = 1;
        value %= n;
        while (exponent > 0)
        {
            if ((exponent & 1) == 1)
            {
                result = MulMod(result, value, n);
            }

            value = MulMod(value, value, n);
            exponent >>= 1;
        }

        return result;
    }
}
