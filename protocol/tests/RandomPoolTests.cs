using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Tests;

public sealed class RandomPoolTests
{
    [Property]
    public Property Integers_stay_in_range() =>
        Prop.ForAll(Gen.Choose(1, int.MaxValue).ToArbitrary(), max => Enumerable.Range(0, 20).All(_ => RandomPool.NextInt32(max) is var v && v >= 0 && v < max));

    [Fact]
    public void Small_integers_are_roughly_uniform()
    {
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++)
        {
            counts[RandomPool.NextInt32(7)]++;
        }

        // Each bucket expects 10 000; 600 is over 6 standard deviations (sqrt(10000 * 6/7) ≈ 93).
        Assert.All(counts, c => Assert.InRange(c, 9_400, 10_600));
    }

    [Fact]
    public void Bytes_are_never_handed_out_twice_across_refills()
    {
        // 16-byte draws across several 4 KiB refills: a repeat would mean a reused pool position.
        var seen = new HashSet<string>();
        byte[] draw = new byte[16];
        for (int i = 0; i < 2_000; i++)
        {
            RandomPool.Fill(draw);
            Assert.True(seen.Add(Convert.ToHexString(draw)));
        }

        byte[] large = new byte[5000];
        RandomPool.Fill(large);
        Assert.Contains(large, b => b != 0);
    }
}
