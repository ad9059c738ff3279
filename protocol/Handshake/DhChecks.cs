using System.Collections.Concurrent;
using System.Numerics;
using System.Security.Cryptography;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The checks both sides make on the Diffie-Hellman values of the handshake (docs/protocol.md §5.4): dh_prime is a
/// safe 2048-bit prime, g generates the subgroup of order (p-1)/2, and g_a / g_b lie in
/// [2^(2048-64), p - 2^(2048-64)] (which implies 1 &lt; x &lt; p-1).
/// </summary>
public static class DhChecks
{
    /// <summary>
    /// Miller-Rabin rounds for each of p and (p-1)/2: the error bound is 4^-64 per number for an adversarial input,
    /// the figure OpenSSL and Go use for untrusted primes.
    /// </summary>
    public const int MillerRabinRounds = 64;

    private static readonly BigInteger MinPrime = BigInteger.One << 2047;
    private static readonly BigInteger MaxPrimeExclusive = BigInteger.One << 2048;
    private static readonly BigInteger SafetyMargin = BigInteger.One << (2048 - 64);

    // Proving a prime safe costs ~128 modular exponentiations; servers reuse a handful of primes, so remember
    // the ones already proven. Bounded: a peer sending a new prime each time cannot grow it past this size.
    private static readonly ConcurrentDictionary<BigInteger, bool> ProvenSafe = new();
    private const int CacheLimit = 16;

    /// <summary>Checks dh_prime: its size, then that it and (p-1)/2 are prime. Results for good primes are cached.</summary>
    public static DhCheck CheckPrime(BigInteger p)
    {
        if (p <= MinPrime || p >= MaxPrimeExclusive)
        {
            return DhCheck.PrimeWrongSize;
        }

        if (ProvenSafe.ContainsKey(p))
        {
            return DhCheck.Ok;
        }

        bool safe = IsProbablePrime(p) && IsProbablePrime((p - 1) >> 1);
        if (safe && ProvenSafe.Count < CacheLimit)
        {
            ProvenSafe.TryAdd(p, true);
        }

        return safe ? DhCheck.Ok : DhCheck.PrimeNotSafe;
    }

    /// <summary>
    /// Checks that g is a quadratic residue generator of the order-(p-1)/2 subgroup, by the conditions MTProto
    /// publishes for g = 2..7 (p mod 8 = 7 for 2; p mod 3 = 2 for 3; always for 4; p mod 5 in {1,4} for 5;
    /// p mod 24 in {19,23} for 6; p mod 7 in {3,5,6} for 7). Assumes p is a safe prime.
    /// </summary>
    public static DhCheck CheckGenerator(int g, BigInteger p)
    {
        if (g is < 2 or > 7)
        {
            return DhCheck.GeneratorUnsupported;
        }

        bool generatesSubgroup = g switch
        {
            2 => p % 8 == 7,
            3 => p % 3 == 2,
            4 => true,
            5 => (int)(p % 5) is 1 or 4,
            6 => (int)(p % 24) is 19 or 23,
            _ => (int)(p % 7) is 3 or 5 or 6,
        };
        return generatesSubgroup ? DhCheck.Ok : DhCheck.GeneratorWrongSubgroup;
    }

    /// <summary>Checks g_a or g_b against p: 1 &lt; x &lt; p-1, then the recommended 2^(2048-64) margins.</summary>
    public static DhCheck CheckPublicValue(BigInteger value, BigInteger p)
    {
        if (value <= BigInteger.One || value >= p - 1)
        {
            return DhCheck.ValueOutOfRange;
        }

        return value < SafetyMargin || value > p - SafetyMargin ? DhCheck.ValueTooCloseToBounds : DhCheck.Ok;
    }

    /// <summary>Miller-Rabin with <see cref="MillerRabinRounds"/> random bases.</summary>
    public static bool IsProbablePrime(BigInteger n)
    {
        if (n < 2)
        {
            return false;
        }

        foreach (int small in (ReadOnlySpan<int>)[2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37])
        {
            if (n == small)
            {
                return true;
            }

            if (n % small == 0)
            {
                return false;
            }
        }

        BigInteger d = n - 1;
        int s = 0;
        while (d.IsEven)
        {
            d >>= 1;
            s++;
        }

        int byteCount = n.GetByteCount(isUnsigned: true);
        byte[] buffer = new byte[byteCount];
        for (int round = 0; round < MillerRabinRounds; round++)
        {
            BigInteger a = RandomBase(n, buffer);
            BigInteger x = ModularExponentiation.Compute(a, d, n);
            if (x.IsOne || x == n - 1)
            {
                continue;
            }

            bool composite = true;
            for (int i = 1; i < s && composite; i++)
            {
                x = x * x % n;
                composite = x != n - 1;
            }

            if (composite)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A uniformly random base in [2, n-2], by rejection sampling over n's bit length.</summary>
    private static BigInteger RandomBase(BigInteger n, byte[] buffer)
    {
        BigInteger range = n - 3;
        byte topMask = (byte)((1 << (int)(((n.GetBitLength() - 1) % 8) + 1)) - 1);
        while (true)
        {
            RandomNumberGenerator.Fill(buffer);
            buffer[0] &= topMask;
            BigInteger candidate = new(buffer, isUnsigned: true, isBigEndian: true);
            if (candidate < range)
            {
                return candidate + 2;
            }
        }
    }
}
