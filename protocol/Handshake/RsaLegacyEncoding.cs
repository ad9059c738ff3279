using System.Security.Cryptography;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// LEGACY. The encryption of p_q_inner_data used before RSA_PAD: <c>RSA(SHA1(data) | data | random)</c>, 255 bytes
/// under the modulus (docs/protocol.md §5.2). Its weakness: the receiver must parse <c>data</c> to learn its length
/// before it can check the hash, so parsing time depends on unauthenticated plaintext (the timing attack of
/// Albrecht et al., 2022, attack 4). Kept so the server's switchable legacy path, the conformance harness and the
/// lab can exercise it; new code uses <see cref="RsaPad"/>.
/// </summary>
public static class RsaLegacyEncoding
{
    /// <summary>SHA-1, data and padding: the bytes under the RSA operation.</summary>
    public const int BlockLength = 255;

    /// <summary>The most data that fits beside the SHA-1.</summary>
    public const int MaxDataLength = BlockLength - SHA1.HashSizeInBytes;

    /// <summary>Encrypts <paramref name="data"/> the old way.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> data, RsaPublicKey key, RandomNumberGenerator? random = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (data.Length > MaxDataLength)
        {
            throw new ArgumentException($"The legacy encoding carries at most {MaxDataLength} bytes.", nameof(data));
        }

        byte[] block = new byte[BlockLength + 1];
        Span<byte> body = block.AsSpan(1);
        SHA1.HashData(data, body);
        data.CopyTo(body[SHA1.HashSizeInBytes..]);
        Span<byte> padding = body[(SHA1.HashSizeInBytes + data.Length)..];
        if (random is null)
        {
            RandomNumberGenerator.Fill(padding);
        }
        else
        {
            random.GetBytes(padding);
        }

        return RsaKeyPair.EncryptRaw(key, block);
    }

    /// <summary>
    /// The RSA step alone: on success <paramref name="block"/> holds the 255 bytes <c>SHA1 | data | padding</c>.
    /// The caller parses data as TL to find its length, then calls <see cref="HashMatches"/>.
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> ciphertext, RsaKeyPair key, Span<byte> block)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (block.Length != BlockLength)
        {
            throw new ArgumentException($"The output buffer must be {BlockLength} bytes.", nameof(block));
        }

        Span<byte> full = stackalloc byte[BlockLength + 1];
        try
        {
            if (key.PublicKey.ModulusBytes.Length != BlockLength + 1 || !key.TryDecryptRaw(ciphertext, full) || full[0] != 0)
            {
                return false;
            }

            full[1..].CopyTo(block);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(full);
        }
    }

    /// <summary>Whether the SHA-1 at the front of <paramref name="block"/> matches its first <paramref name="dataLength"/> data bytes.</summary>
    public static bool HashMatches(ReadOnlySpan<byte> block, int dataLength)
    {
        if (block.Length != BlockLength || dataLength < 0 || dataLength > MaxDataLength)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(block.Slice(SHA1.HashSizeInBytes, dataLength), hash);
        return CryptographicOperations.FixedTimeEquals(hash, block[..SHA1.HashSizeInBytes]);
    }
}
