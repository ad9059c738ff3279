using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Tests;

public sealed class AesIgeTests
{
    private static readonly Gen<(byte[] Key, byte[] Iv, byte[] Data)> Inputs =
        from keySize in Gen.Elements(16, 32)
        from key in Generators.Bytes(keySize)
        from iv in Generators.Bytes(AesIge.IvSize)
        from blocks in Gen.Choose(0, 80)
        from data in Generators.Bytes(blocks * AesIge.BlockSize)
        select (key, iv, data);

    public static TheoryData<AesIgeImplementation> Implementations()
    {
        var data = new TheoryData<AesIgeImplementation> { AesIgeImplementation.Portable };
        if (AesIge.IsHardwareAccelerated)
        {
            data.Add(AesIgeImplementation.Hardware);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Decrypt_inverts_encrypt_for_any_key_iv_and_length(AesIgeImplementation implementation) =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            byte[] cipher = new byte[input.Data.Length];
            byte[] plain = new byte[input.Data.Length];
            AesIge.Encrypt(input.Key, input.Iv, input.Data, cipher, implementation);
            AesIge.Decrypt(input.Key, input.Iv, cipher, plain, implementation);
            return plain.AsSpan().SequenceEqual(input.Data) && (input.Data.Length < 16 || !cipher.AsSpan().SequenceEqual(input.Data));
        }).QuickCheckThrowOnFailure();

    [Property(MaxTest = 300)]
    public Property Hardware_and_portable_paths_are_byte_identical() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            if (!AesIge.IsHardwareAccelerated)
            {
                return true.Label("no AES-NI here: only the portable path exists");
            }

            byte[] hardware = new byte[input.Data.Length], portable = new byte[input.Data.Length];
            AesIge.Encrypt(input.Key, input.Iv, input.Data, hardware, AesIgeImplementation.Hardware);
            AesIge.Encrypt(input.Key, input.Iv, input.Data, portable, AesIgeImplementation.Portable);
            bool encryptSame = hardware.AsSpan().SequenceEqual(portable);
            AesIge.Decrypt(input.Key, input.Iv, input.Data, hardware, AesIgeImplementation.Hardware);
            AesIge.Decrypt(input.Key, input.Iv, input.Data, portable, AesIgeImplementation.Portable);
            return (encryptSame && hardware.AsSpan().SequenceEqual(portable)).Label("encrypt and decrypt agree");
        });

    [Property(MaxTest = 100)]
    public Property In_place_equals_out_of_place() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            byte[] separate = new byte[input.Data.Length];
            byte[] inPlace = (byte[])input.Data.Clone();
            AesIge.Encrypt(input.Key, input.Iv, input.Data, separate);
            AesIge.Encrypt(input.Key, input.Iv, inPlace, inPlace);
            bool encrypted = separate.AsSpan().SequenceEqual(inPlace);
            AesIge.Decrypt(input.Key, input.Iv, inPlace, inPlace);
            return encrypted && inPlace.AsSpan().SequenceEqual(input.Data);
        });

    [Property(MaxTest = 100)]
    public Property Changing_one_ciphertext_block_garbles_every_later_plaintext_block() =>
        Prop.ForAll(Generators.Seed.ToArbitrary(), seed =>
        {
            // IGE propagates errors forward in both directions: the defining difference from CBC.
            byte[] key = Generators.BytesFrom(seed, 32), iv = Generators.BytesFrom(seed + 1, 32), data = Generators.BytesFrom(seed + 2, 128);
            byte[] cipher = new byte[128], plain = new byte[128];
            AesIge.Encrypt(key, iv, data, cipher);
            cipher[16] ^= 1;
            AesIge.Decrypt(key, iv, cipher, plain);
            return Enumerable.Range(1, 7).All(block => !plain.AsSpan(block * 16, 16).SequenceEqual(data.AsSpan(block * 16, 16)))
                && plain.AsSpan(0, 16).SequenceEqual(data.AsSpan(0, 16));
        });

    [Theory]
    [InlineData(15, 32, 16, 16)]
    [InlineData(24, 32, 16, 16)]
    [InlineData(32, 16, 16, 16)]
    [InlineData(32, 32, 17, 17)]
    [InlineData(32, 32, 32, 16)]
    public void Bad_sizes_are_refused(int keyLength, int ivLength, int inputLength, int outputLength)
    {
        Assert.Throws<ArgumentException>(() =>
            AesIge.Encrypt(new byte[keyLength], new byte[ivLength], new byte[inputLength], new byte[outputLength]));
        Assert.Throws<ArgumentException>(() =>
            AesIge.Decrypt(new byte[keyLength], new byte[ivLength], new byte[inputLength], new byte[outputLength]));
    }

    [Fact]
    public void Partially_overlapping_buffers_are_refused()
    {
        byte[] buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => AesIge.Encrypt(new byte[32], new byte[32], buffer.AsSpan(0, 32), buffer.AsSpan(16, 32)));
    }

    [Fact]
    public void Hardware_path_allocates_nothing()
    {
        if (!AesIge.IsHardwareAccelerated)
        {
            return; // Nothing to measure: the portable path (BouncyCastle) allocates its key schedule by design.
        }

        byte[] key = new byte[32], iv = new byte[32], data = new byte[16384];
        AesIge.Encrypt(key, iv, data, data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            AesIge.Encrypt(key, iv, data, data);
            AesIge.Decrypt(key, iv, data, data);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
