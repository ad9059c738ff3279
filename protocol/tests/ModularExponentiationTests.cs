using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Handshake;

namespace Testbed.Protocol.Tests;

public sealed class ModularExponentiationTests
{
    [Fact]
    public void OpenSsl_is_used_on_linux() => Assert.Equal(OperatingSystem.IsLinux(), ModularExponentiation.UsesOpenSsl);

    [Property(MaxTest = 200)]
    public Property Agrees_with_the_managed_implementation() =>
        Prop.ForAll(Generators.Bytes(0, 300).ToArbitrary(), Generators.Bytes(0, 64).ToArbitrary(), Generators.Bytes(1, 260).ToArbitrary(),
            (value, exponent, modulus) =>
            {
                BigInteger m = BigEndianInteger.Read(modulus);
                if (m.IsZero)
                {
                    return true.ToProperty();
                }

                BigInteger v = BigEndianInteger.Read(value), e = BigEndianInteger.Read(exponent);
                return (ModularExponentiation.Compute(v, e, m) == BigInteger.ModPow(v, e, m)).Label($"{v}^{e} mod {m}");
            });

    [Theory]
    [InlineData(0, 5, 7, 0)]
    [InlineData(5, 0, 7, 1)]
    [InlineData(-3, 3, 7, 1)] // (-3)^3 = -27 ≡ 1 (mod 7)
    [InlineData(10, 3, 1, 0)]
    [InlineData(3, 4, 10, 1)] // even modulus: the managed path
    public void Edge_cases(int value, int exponent, int modulus, int expected) =>
        Assert.Equal(new BigInteger(expected), ModularExponentiation.Compute(value, exponent, modulus));
}
