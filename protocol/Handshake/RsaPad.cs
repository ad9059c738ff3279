using System.Security.Cryptography;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Handshake;

/// <summary>Why <see cref="RsaPad.TryDecrypt"/> refused its input (a diagnostic: a server answers every case with -404).</summary>
public enum RsaPadRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The ciphertext is not 256 bytes, or is not below the modulus.</summary>
    BadCiphertext,

    /// <summary>The SHA-256 inside does not match: wrong key, tampering, or not RSA_PAD at all.</summary>
    HashMismatch,
}

/// <summary>
/// RSA_PAD, the encryption of p_q_inner_data in req_DH_params (docs/protocol.md §5.2): the data is padded to
/// 192 bytes, reversed and hashed with a random temp_key, encrypted with AES-256-IGE under temp_key, and temp_key
/// is masked with a hash of that ciphertext; the 256-byte result is raised to e mod n. The server can check the hash
/// only after undoing every step, but the check covers every byte, so no part is parsed before it is authenticated.
/// </summary>
public static class RsaPad
{
    /// <summary>The most data RSA_PAD carries.</summary>
    public const int MaxDataLength = 144;

    /// <summary>Data plus random padding.</summary>
    public const int PaddedLength = 192;

    private const int TempKeyLength = 32;
    private const int HashedLength = PaddedLength + 32;
    private const int ModulusLength = 256;

    /// <summary>Encrypts <paramref name="data"/> (at most 144 bytes) for <paramref name="key"/>.</summary>
    /// <param name="data">The serialized p_q_inner_data.</param>
    /// <param name="key">The server's 2048-bit public key.</param>
    /// <param name="random">Source of the padding and temp_key (the system generator if null); tests pass a fixed one.</param>
    /// <returns>The 256-byte encrypted_data.</returns>
    public static byte[] Encrypt(ReadOnlySpan<byte> data, RsaPublicKey key, RandomNumberGenerator? random = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (data.Length > MaxDataLength)
        {
            throw new ArgumentException($"RSA_PAD carries at most {MaxDataLength} bytes, got {data.Length}.", nameof(data));
        }

        if (key.ModulusBytes.Length != ModulusLength)
        {
            throw new ArgumentException("RSA_PAD needs a 2048-bit modulus.", nameof(key));
        }

        Span<byte> padded = stackalloc byte[PaddedLength];
        data.CopyTo(padded);
        Fill(random, padded[data.Length..]);

        byte[] block = new byte[ModulusLength];
        Span<byte> tempKey = stackalloc byte[TempKeyLength];
        Span<byte> hashed = stackalloc byte[HashedLength];
        Span<byte> zeroIv = stackalloc byte[AesIge.IvSize];
        zeroIv.Clear();
        try
        {
            while (true)
            {
                Fill(random, tempKey);
                // data_with_hash = reverse(data_with_padding) | SHA256(temp_key | data_with_padding)
                padded.CopyTo(hashed);
                hashed[..PaddedLength].Reverse();
                Sha256(tempKey, padded, hashed[PaddedLength..]);

                // aes_encrypted = AES256_IGE(temp_key, zero IV, data_with_hash)
                Span<byte> encrypted = block.AsSpan(TempKeyLength);
                AesIge.Encrypt(tempKey, zeroIv, hashed, encrypted);

                // temp_key_xor = temp_key XOR SHA256(aes_encrypted)
                Span<byte> mask = block.AsSpan(0, TempKeyLength);
                SHA256.HashData(encrypted, mask);
                for (int i = 0; i < TempKeyLength; i++)
                {
                    mask[i] ^= tempKey[i];
                }

                // Retry with a new temp_key until the block is a valid RSA input (below n).
                if (BigEndianInteger.Read(block) < key.Modulus)
                {
                    return RsaKeyPair.EncryptRaw(key, block);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padded);
            CryptographicOperations.ZeroMemory(tempKey);
            CryptographicOperations.ZeroMemory(hashed);
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>
    /// Undoes RSA_PAD and checks its hash in constant time. On success <paramref name="paddedData"/> holds the
    /// 192 bytes of data and padding; the caller parses the data as TL and ignores the rest.
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> ciphertext, RsaKeyPair key, Span<byte> paddedData) =>
        Decrypt(ciphertext, key, paddedData) == RsaPadRejection.None;

    /// <summary>As <see cref="TryDecrypt"/>, saying why it refused; for tests and the lab.</summary>
    public static RsaPadRejection Decrypt(ReadOnlySpan<byte> ciphertext, RsaKeyPair key, Span<byte> paddedData)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (paddedData.Length != PaddedLength)
        {
            throw new ArgumentException($"The output buffer must be {PaddedLength} bytes.", nameof(paddedData));
        }

        Span<byte> block = stackalloc byte[ModulusLength];
        Span<byte> tempKey = stackalloc byte[TempKeyLength];
        Span<byte> hashed = stackalloc byte[HashedLength];
        Span<byte> expected = stackalloc byte[32];
        Span<byte> zeroIv = stackalloc byte[AesIge.IvSize];
        zeroIv.Clear();
        try
        {
            if (key.PublicKey.ModulusBytes.Length != ModulusLength || !key.TryDecryptRaw(ciphertext, block))
            {
                return RsaPadRejection.BadCiphertext;
            }

            ReadOnlySpan<byte> encrypted = block[TempKeyLength..];
            SHA256.HashData(encrypted, tempKey);
            for (int i = 0; i < TempKeyLength; i++)
            {
                tempKey[i] ^= block[i];
            }

            AesIge.Decrypt(tempKey, zeroIv, encrypted, hashed);
            Span<byte> padded = hashed[..PaddedLength];
            padded.Reverse();
            Sha256(tempKey, padded, expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, hashed[PaddedLength..]))
            {
                return RsaPadRejection.HashMismatch;
            }

            padded.CopyTo(paddedData);
            return RsaPadRejection.None;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(tempKey);
            CryptographicOperations.ZeroMemory(hashed);
        }
    }

    private static void Sha256(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[first.Length + second.Length];
        first.CopyTo(input);
        second.CopyTo(input[first.Length..]);
        SHA256.HashData(input, destination);
        CryptographicOperations.ZeroMemory(input);
    }

    private static void Fill(RandomNumberGenerator? random, Span<byte> destination)
    {
        if (random is null)
        {
            RandomNumberGenerator.Fill(destination);
        }
        else
        {
            random.GetBytes(destination);
        }
    }
}
