using FsCheck;
using FsCheck.Fluent;

namespace Testbed.Protocol.Tests;

/// <summary>FsCheck generators shared by the property tests.</summary>
internal static class Generators
{
    /// <summary>Any int, to seed a <see cref="Random"/> that fills large buffers (cheaper than generating each byte).</summary>
    public static Gen<int> Seed => Gen.Choose(0, int.MaxValue);

    /// <summary><paramref name="length"/> bytes from a seeded generator.</summary>
    public static byte[] BytesFrom(int seed, int length)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Random bytes of a length in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Gen<byte[]> Bytes(int min, int max) =>
        from length in Gen.Choose(min, max)
        from seed in Seed
        select BytesFrom(seed, length);

    /// <summary>Exactly <paramref name="length"/> random bytes.</summary>
    public static Gen<byte[]> Bytes(int length) => Bytes(length, length);
}
