using System.Security.Cryptography;

namespace Testbed.Protocol.Envelope;

/// <summary>
/// MTProto 2.0 msg_key and the AES key/IV derived from it (docs/protocol.md §2.2):
/// <code>
/// msg_key = SHA256(auth_key[88+x : 120+x] | plaintext)[8:24]
/// a = SHA256(msg_key | auth_key[x : 36+x]);   b = SHA256(auth_key[40+x : 76+x] | msg_key)
/// aes_key = a[0:8] | b[8:24] | a[24:32];      aes_iv = b[0:8] | a[8:24] | b[24:32]
/// </code>
/// </summary>
public static class MessageKey
{
    /// <summary>The msg_key size in bytes.</summary>
    public const int Size = 16;

    /// <summary>The derived AES-256 key size in bytes.</summary>
    public const int AesKeySize = 32;

    /// <summary>The derived AES-IGE IV size in bytes.</summary>
    public const int AesIvSize = 32;

    // One reusable SHA-256 context per thread: every hash here covers two pieces (a key fragment and the
    // plaintext or msg_key), which an incremental hash takes without copying them together, and reusing the
    // context keeps the envelope path free of allocations and of per-call context set-up (~70 ns each here).
    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    /// <summary>Computes msg_key over a whole plaintext (header, message data and padding).</summary>
    public static void Compute(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> plaintext, Span<byte> msgKey)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        CheckLength(msgKey, Size, nameof(msgKey));
        int x = (int)direction;
        IncrementalHash sha256 = Sha256();
        Span<byte> large = stackalloc byte[SHA256.HashSizeInBytes];
        sha256.AppendData(authKey.Bytes.Slice(88 + x, 32));
        sha256.AppendData(plaintext);
        sha256.GetHashAndReset(large);
        large[8..24].CopyTo(msgKey);
    }

    /// <summary>Derives the AES-256-IGE key and IV for one message from its msg_key.</summary>
    public static void DeriveAesKeyIv(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> msgKey,
        Span<byte> aesKey, Span<byte> aesIv)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        CheckLength(msgKey, Size, nameof(msgKey));
        CheckLength(aesKey, AesKeySize, nameof(aesKey));
        CheckLength(aesIv, AesIvSize, nameof(aesIv));
        int x = (int)direction;
        ReadOnlySpan<byte> key = authKey.Bytes;
        IncrementalHash sha256 = Sha256();
        Span<byte> a = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> b = stackalloc byte[SHA256.HashSizeInBytes];
        try
        {
            sha256.AppendData(msgKey);
            sha256.AppendData(key.Slice(x, 36));
            sha256.GetHashAndReset(a);

            sha256.AppendData(key.Slice(40 + x, 36));
            sha256.AppendData(msgKey);
            sha256.GetHashAndReset(b);

            a[..8].CopyTo(aesKey);
            b[8..24].CopyTo(aesKey[8..]);
            a[24..32].CopyTo(aesKey[24..]);

            b[..8].CopyTo(aesIv);
            a[8..24].CopyTo(aesIv[8..]);
            b[24..32].CopyTo(aesIv[24..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(a);
            CryptographicOperations.ZeroMemory(b);
        }
    }

    private static IncrementalHash Sha256() => t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    private static void CheckLength(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"{name} must be {expected} bytes, got {span.Length}.", name);
        }
    }
}
