using System.Numerics;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Handshake;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Testbed.Bench;

/// <summary>
/// One 2048-bit modular exponentiation with a 2048-bit secret exponent (g^a mod dh_prime): what the handshake does
/// twice per side, and what each Miller-Rabin round of the safe-prime check costs.
/// </summary>
[MemoryDiagnoser]
public class ModularExponentiationBenchmarks
{
    private static readonly byte[] PrimeBytes = DhGroup.PublishedPrimeBytes.ToArray();

    private readonly BigInteger _prime = BigEndianInteger.Read(PrimeBytes);
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(256);
    private BigInteger _exponent;
    private BcBigInteger _bcPrime = null!;
    private BcBigInteger _bcExponent = null!;

    [GlobalSetup]
    public void Setup()
    {
        _exponent = BigEndianInteger.Read(_secret);
        _bcPrime = new BcBigInteger(1, PrimeBytes);
        _bcExponent = new BcBigInteger(1, _secret);
    }

    [Benchmark(Baseline = true, Description = "OpenSSL BN_mod_exp_mont_consttime (used)")]
    public byte[] OpenSsl() => DhExchange.PublicValue(3, _exponent, _prime);

    [Benchmark(Description = "System.Numerics BigInteger.ModPow")]
    public BigInteger SystemNumerics() => BigInteger.ModPow(3, _exponent, _prime);

    [Benchmark(Description = "BouncyCastle BigInteger.ModPow")]
    public BcBigInteger BouncyCastle() => BcBigInteger.Three.ModPow(_bcExponent, _bcPrime);
}
