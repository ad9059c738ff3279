using System.Numerics;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

public sealed class HandshakeTests
{
    // One key for the whole class: generating RSA-2048 takes a noticeable fraction of a second.
    private static readonly RsaKeyPair Key = RsaKeyPair.Generate();

    [Property(MaxTest = 50)]
    public Property Rsa_pad_round_trips_any_data_up_to_144_bytes() =>
        Prop.ForAll(Generators.Bytes(0, RsaPad.MaxDataLength).ToArbitrary(), data =>
        {
            byte[] encrypted = RsaPad.Encrypt(data, Key.PublicKey);
            byte[] padded = new byte[RsaPad.PaddedLength];
            return encrypted.Length == 256
                && RsaPad.Decrypt(encrypted, Key, padded) == RsaPadRejection.None
                && padded.AsSpan(0, data.Length).SequenceEqual(data);
        });

    [Property(MaxTest = 60)]
    public Property Rsa_pad_rejects_any_altered_byte() =>
        Prop.ForAll(Generators.Bytes(0, RsaPad.MaxDataLength).ToArbitrary(), Generators.Seed.ToArbitrary(), (data, seed) =>
        {
            byte[] encrypted = RsaPad.Encrypt(data, Key.PublicKey);
            encrypted[seed % 256] ^= (byte)(1 + (seed % 255));
            byte[] padded = new byte[RsaPad.PaddedLength];
            RsaPadRejection rejection = RsaPad.Decrypt(encrypted, Key, padded);
            return (rejection != RsaPadRejection.None && padded.All(b => b == 0)).Label($"byte {seed % 256}: {rejection}");
        });

    [Fact]
    public void Rsa_pad_refuses_a_ciphertext_not_below_the_modulus_or_of_the_wrong_length()
    {
        byte[] padded = new byte[RsaPad.PaddedLength];
        Assert.Equal(RsaPadRejection.BadCiphertext, RsaPad.Decrypt(Key.PublicKey.ModulusBytes, Key, padded));
        Assert.Equal(RsaPadRejection.BadCiphertext, RsaPad.Decrypt(new byte[255], Key, padded));
        Assert.Throws<ArgumentException>(() => RsaPad.Encrypt(new byte[145], Key.PublicKey));
    }

    [Fact]
    public void Rsa_pad_encryption_under_another_key_is_refused()
    {
        using RsaKeyPair other = RsaKeyPair.Generate();
        byte[] encrypted = RsaPad.Encrypt(new byte[100], other.PublicKey);
        RsaPadRejection rejection = RsaPad.Decrypt(encrypted, Key, new byte[RsaPad.PaddedLength]);
        Assert.NotEqual(RsaPadRejection.None, rejection);
    }

    [Property(MaxTest = 30)]
    public Property Raw_rsa_inverts_the_public_operation_and_both_private_paths_agree() =>
        Prop.ForAll(Generators.Bytes(255).ToArbitrary(), message =>
        {
            byte[] padded = [0, .. message]; // below the modulus, whatever the bytes
            byte[] cipher = RsaKeyPair.EncryptRaw(Key.PublicKey, padded);
            byte[] viaDefault = new byte[256], viaPortable = new byte[256];
            return Key.TryDecryptRaw(cipher, viaDefault) && Key.TryDecryptPortable(cipher, viaPortable)
                && viaDefault.AsSpan().SequenceEqual(padded) && viaPortable.AsSpan().SequenceEqual(padded);
        });

    [Fact]
    public void The_private_operation_runs_on_openssl_on_linux() =>
        Assert.Equal(OperatingSystem.IsLinux() ? "OpenSSL" : "BouncyCastle", Key.PrivateOperationProvider);

    [Fact]
    public void Legacy_encoding_round_trips_and_its_hash_covers_the_data()
    {
        byte[] data = RandomNumberGenerator.GetBytes(100);
        byte[] block = new byte[RsaLegacyEncoding.BlockLength];
        Assert.True(RsaLegacyEncoding.TryDecrypt(RsaLegacyEncoding.Encrypt(data, Key.PublicKey), Key, block));
        Assert.True(block.AsSpan(20, 100).SequenceEqual(data));
        Assert.True(RsaLegacyEncoding.HashMatches(block, 100));
        Assert.False(RsaLegacyEncoding.HashMatches(block, 99));
        block[50] ^= 1;
        Assert.False(RsaLegacyEncoding.HashMatches(block, 100));
    }

    [Fact]
    public void Keys_survive_a_pem_round_trip_with_the_same_fingerprint()
    {
        RsaPublicKey reread = RsaPublicKey.FromPem(Key.PublicKey.ToPem());
        Assert.Equal(Key.PublicKey.Fingerprint, reread.Fingerprint);
        using RsaKeyPair again = RsaKeyPair.FromPem(Key.ToPrivatePem());
        byte[] padded = new byte[RsaPad.PaddedLength];
        Assert.Equal(RsaPadRejection.None, RsaPad.Decrypt(RsaPad.Encrypt(new byte[8], Key.PublicKey), again, padded));
    }

    /// <summary>
    /// Two npm clients cannot find a key whose fingerprint's hex begins with 0 (docs/interop.md, "Third-party bugs"),
    /// one key in 16; the server's and the client suite's keys must never be one. Four draws, as key generation is slow.
    /// </summary>
    [Fact]
    public void Keys_for_clients_have_a_fingerprint_whose_hex_does_not_begin_with_zero()
    {
        for (int draw = 0; draw < 4; draw++)
        {
            using RsaKeyPair key = RsaKeyPair.GenerateWithoutLeadingZeroFingerprint();
            Assert.True((ulong)key.PublicKey.Fingerprint >= 1UL << 60, $"{(ulong)key.PublicKey.Fingerprint:x16}");
        }
    }

    [Property(MaxTest = 200)]
    public Property Factoring_returns_the_generated_primes_smaller_first() =>
        Prop.ForAll(Gen.Constant(0).ToArbitrary(), _ =>
        {
            (ulong pq, uint p, uint q) = Pq.Generate();
            (ulong p2, ulong q2) = Pq.Factor(pq);
            return (p < q && pq < (1UL << 63) && p2 == p && q2 == q && Pq.IsPrime(p) && Pq.IsPrime(q)).Label($"{pq} = {p} x {q}, got {p2} x {q2}");
        });

    [Theory]
    [InlineData(2694724800268887959UL, 1513098571UL, 1780931429UL)] // the public worked example
    [InlineData(15UL, 3UL, 5UL)]
    [InlineData(4UL, 2UL, 2UL)]
    [InlineData(9223372036854775807UL, 7UL, 1317624576693539401UL)] // 2^63 - 1 = 7^2 x 73 x ...: any split into a factor and the rest
    public void Factoring_known_products(ulong pq, ulong expectedP, ulong expectedQ)
    {
        (ulong p, ulong q) = Pq.Factor(pq);
        Assert.Equal(pq, p * q);
        if (Pq.IsPrime(expectedP) && Pq.IsPrime(expectedQ))
        {
            Assert.Equal((expectedP, expectedQ), (p, q));
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(3UL)]
    [InlineData(1000000007UL)]
    public void Factoring_a_prime_or_tiny_number_is_an_argument_error(ulong pq) =>
        Assert.Throws<ArgumentException>(() => Pq.Factor(pq));

    [Property(MaxTest = 100)]
    public Property Encrypted_answers_round_trip_and_refuse_tampering() =>
        Prop.ForAll(Generators.Seed.ToArbitrary(), seed =>
        {
            byte[] key = Generators.BytesFrom(seed, 32), iv = Generators.BytesFrom(seed + 1, 32);
            var inner = new TlObject(TlSchema.MTProto["client_DH_inner_data"], Generators.BytesFrom(seed, 16),
                Generators.BytesFrom(seed + 2, 16), (long)seed, Generators.BytesFrom(seed + 3, 256));
            byte[] encrypted = EncryptedAnswer.Encrypt(key, iv, TlCodec.MTProto.Serialize(inner));
            TlObject? read = EncryptedAnswer.TryDecrypt(key, iv, encrypted, TlCodec.MTProto, "Client_DH_Inner_Data");
            encrypted[seed % encrypted.Length] ^= 0x10;
            TlObject? tampered = EncryptedAnswer.TryDecrypt(key, iv, encrypted, TlCodec.MTProto, "Client_DH_Inner_Data");
            return inner.Equals(read) && tampered is null;
        });

    [Fact]
    public void An_encrypted_answer_with_16_or_more_padding_bytes_is_refused()
    {
        byte[] key = new byte[32], iv = new byte[32];
        byte[] inner = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["ping"], 7L));
        byte[] plaintext = new byte[64]; // 20 hash + 12 inner + 32 padding
        SHA1.HashData(inner, plaintext);
        inner.CopyTo(plaintext, 20);
        Crypto.AesIge.Encrypt(key, iv, plaintext, plaintext);
        Assert.Null(EncryptedAnswer.TryDecrypt(key, iv, plaintext, TlCodec.MTProto, "Pong"));
        Assert.Null(EncryptedAnswer.TryDecrypt(key, iv, plaintext.AsSpan(0, 40), TlCodec.MTProto, "Pong"));
    }

    [Property(MaxTest = 50)]
    public Property Dh_values_between_the_margins_pass_and_the_exchange_agrees() =>
        Prop.ForAll(Generators.Bytes(256).ToArbitrary(), Generators.Bytes(256).ToArbitrary(), (aBytes, bBytes) =>
        {
            BigInteger p = PublishedPrime;
            BigInteger a = BigEndianInteger.Read(aBytes), b = BigEndianInteger.Read(bBytes);
            byte[] gA = DhExchange.PublicValue(3, a, p), gB = DhExchange.PublicValue(3, b, p);
            bool bothOk = DhChecks.CheckPublicValue(BigEndianInteger.Read(gA), p) == DhCheck.Ok
                && DhChecks.CheckPublicValue(BigEndianInteger.Read(gB), p) == DhCheck.Ok;
            byte[] keyA = DhExchange.SharedKey(BigEndianInteger.Read(gB), a, p);
            byte[] keyB = DhExchange.SharedKey(BigEndianInteger.Read(gA), b, p);
            // A value within 2^1984 of 0 or p has probability ~2^-63 here; a failure would be the check's fault.
            return bothOk && keyA.AsSpan().SequenceEqual(keyB);
        });

    [Fact]
    public void Miller_rabin_separates_primes_from_composites_and_carmichael_numbers()
    {
        Assert.True(DhChecks.IsProbablePrime(PublishedPrime));
        Assert.True(DhChecks.IsProbablePrime((PublishedPrime - 1) / 2));
        Assert.False(DhChecks.IsProbablePrime(561)); // Carmichael
        Assert.False(DhChecks.IsProbablePrime(BigInteger.Parse("3825123056546413051", System.Globalization.CultureInfo.InvariantCulture))); // strong pseudoprime to bases 2..23
        Assert.False(DhChecks.IsProbablePrime(PublishedPrime * 3));
        Assert.True(DhChecks.IsProbablePrime(2));
        Assert.False(DhChecks.IsProbablePrime(1));
    }

    [Fact]
    public void New_nonce_hash_and_salt_take_the_documented_bytes()
    {
        byte[] newNonce = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] serverNonce = Enumerable.Range(100, 16).Select(i => (byte)i).ToArray();
        byte[] aux = Enumerable.Range(200, 8).Select(i => (byte)i).ToArray();
        byte[] expected = SHA1.HashData([.. newNonce, 2, .. aux])[4..];
        byte[] actual = new byte[16];
        NewNonceHash.Compute(newNonce, 2, aux, actual);
        Assert.Equal(expected, actual);
        NewNonceHash.ComputeForParamsFail(newNonce, actual);
        Assert.Equal(SHA1.HashData(newNonce)[4..], actual);
        long salt = InitialSalt.Compute(newNonce, serverNonce);
        Assert.Equal(BitConverter.ToInt64(newNonce) ^ BitConverter.ToInt64(serverNonce), salt);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, true)]
    [InlineData(new byte[] { 1, 2 }, true)]
    [InlineData(new byte[] { 0, 1 }, false)]
    [InlineData(new byte[0], false)]
    public void Minimal_big_endian_encoding_is_recognised(byte[] bytes, bool minimal) =>
        Assert.Equal(minimal, BigEndianInteger.IsMinimal(bytes));

    [Property]
    public Property Minimal_bytes_round_trip() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), value =>
        {
            byte[] bytes = BigEndianInteger.ToMinimalBytes(value);
            return BigEndianInteger.IsMinimal(bytes) && BigEndianInteger.Read(bytes) == value;
        });

    private static BigInteger PublishedPrime => DhGroup.PublishedPrime;
}
