using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The wrapping of server_DH_inner_data (encrypted_answer) and client_DH_inner_data (encrypted_data):
/// <c>AES256_IGE(tmp_aes_key, tmp_aes_iv, SHA1(inner) | inner | 0..15 random bytes)</c> (docs/protocol.md §5.3).
/// </summary>
public static class EncryptedAnswer
{
    /// <summary>Wraps and encrypts a serialized inner object.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> tmpAesKey, ReadOnlySpan<byte> tmpAesIv, ReadOnlySpan<byte> inner,
        RandomNumberGenerator? random = null)
    {
        int unpadded = SHA1.HashSizeInBytes + inner.Length;
        byte[] plaintext = new byte[(unpadded + 15) & ~15];
        SHA1.HashData(inner, plaintext);
        inner.CopyTo(plaintext.AsSpan(SHA1.HashSizeInBytes));
        Span<byte> padding = plaintext.AsSpan(unpadded);
        if (random is null)
        {
            RandomNumberGenerator.Fill(padding);
        }
        else
        {
            random.GetBytes(padding);
        }

        AesIge.Encrypt(tmpAesKey, tmpAesIv, plaintext, plaintext);
        return plaintext;
    }

    /// <summary>
    /// Decrypts an encrypted answer and reads the boxed object inside it as <paramref name="typeName"/>, then checks
    /// that 0 to 15 padding bytes follow it and that the SHA-1 in front matches its bytes.
    /// </summary>
    /// <returns>The inner object, or null when the input is not a valid wrapped object of that type.</returns>
    public static TlObject? TryDecrypt(ReadOnlySpan<byte> tmpAesKey, ReadOnlySpan<byte> tmpAesIv, ReadOnlySpan<byte> encrypted,
        TlCodec codec, string typeName)
    {
        ArgumentNullException.ThrowIfNull(codec);
        if (encrypted.Length < SHA1.HashSizeInBytes || encrypted.Length % AesIge.BlockSize != 0)
        {
            return null;
        }

        byte[] plaintext = new byte[encrypted.Length];
        AesIge.Decrypt(tmpAesKey, tmpAesIv, encrypted, plaintext);
        ReadOnlySpan<byte> body = plaintext.AsSpan(SHA1.HashSizeInBytes);
        var reader = new TlReader(body);
        TlObject inner;
        try
        {
            inner = codec.ReadBoxed(ref reader, typeName);
        }
        catch (TlDecodeException)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(body[..reader.Position], hash);
        bool paddingOk = reader.Remaining < AesIge.BlockSize;
        bool hashOk = CryptographicOperations.FixedTimeEquals(hash, plaintext.AsSpan(0, SHA1.HashSizeInBytes));
        return paddingOk && hashOk ? inner : null;
    }
}
