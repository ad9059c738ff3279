namespace Testbed.Protocol.Crypto;

/// <summary>Which block-cipher implementation <see cref="AesIge"/> uses.</summary>
public enum AesIgeImplementation
{
    /// <summary>The hardware path when the processor has AES instructions, else the portable path.</summary>
    Auto,

    /// <summary>AES-NI through <c>System.Runtime.Intrinsics.X86.Aes</c>; throws where unsupported.</summary>
    Hardware,

    /// <summary>BouncyCastle's table-based AES engine: runs everywhere, slower.</summary>
    Portable,
}

/// <summary>
/// AES in Infinite Garble Extension mode, as MTProto uses it (docs/protocol.md §2.3).
/// The 32-byte IV holds the "previous ciphertext" block at [0:16] and the "previous plaintext" block at [16:32]:
/// <c>c_i = E(p_i ^ c_{i-1}) ^ p_{i-1}</c> and <c>p_i = D(c_i ^ p_{i-1}) ^ c_{i-1}</c>, the order OpenSSL's
/// <c>AES_ige_encrypt</c>, TDLib and the published test vectors use.
/// </summary>
/// <remarks>
/// Both directions are serial (each block needs the previous block's output), so one message can go no faster
/// than AES-CBC encryption. The key schedule is computed per call, as it is per message in MTProto.
/// Source and destination may be the same buffer; partial overlap is not supported.
/// </remarks>
public static class AesIge
{
    /// <summary>The AES block size in bytes.</summary>
    public const int BlockSize = 16;

    /// <summary>The IGE initialisation vector size in bytes (two blocks).</summary>
    public const int IvSize = 32;

    /// <summary>Whether the hardware (AES-NI) path is available on this machine.</summary>
    public static bool IsHardwareAccelerated => AesNiIge.IsSupported;

    /// <summary>Encrypts <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    /// <param name="key">16 bytes (AES-128) or 32 bytes (AES-256).</param>
    /// <param name="iv">32 bytes: previous ciphertext block, then previous plaintext block.</param>
    /// <param name="source">Plaintext; its length must be a multiple of 16.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>; may be the same buffer.</param>
    /// <param name="implementation">Which block-cipher implementation to use.</param>
    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination,
        AesIgeImplementation implementation = AesIgeImplementation.Auto)
    {
        CheckArguments(key, iv, source, destination);
        if (UseHardware(implementation))
        {
            AesNiIge.Encrypt(key, iv, source, destination);
        }
        else
        {
            PortableAesIge.Encrypt(key, iv, source, destination);
        }
    }

    /// <summary>Decrypts <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    /// <param name="key">16 bytes (AES-128) or 32 bytes (AES-256).</param>
    /// <param name="iv">32 bytes: previous ciphertext block, then previous plaintext block.</param>
    /// <param name="source">Ciphertext; its length must be a multiple of 16.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>; may be the same buffer.</param>
    /// <param name="implementation">Which block-cipher implementation to use.</param>
    public static void Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination,
        AesIgeImplementation implementation = AesIgeImplementation.Auto)
    {
        CheckArguments(key, iv, source, destination);
        if (UseHardware(implementation))
        {
            AesNiIge.Decrypt(key, iv, source, destination);
        }
        else
        {
            PortableAesIge.Decrypt(key, iv, source, destination);
        }
    }

    private static bool UseHardware(AesIgeImplementation implementation) => implementation switch
    {
        AesIgeImplementation.Auto => AesNiIge.IsSupported,
        AesIgeImplementation.Portable => false,
        AesIgeImplementation.Hardware when AesNiIge.IsSupported => true,
        AesIgeImplementation.Hardware => throw new PlatformNotSupportedException("This processor has no AES instructions (AES-NI)."),
        _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
    };

    private static void CheckArguments(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException($"AES-IGE key must be 16 or 32 bytes, got {key.Length}.", nameof(key));
        }

        if (iv.Length != IvSize)
        {
            throw new ArgumentException($"AES-IGE IV must be {IvSize} bytes, got {iv.Length}.", nameof(iv));
        }

        if (source.Length % BlockSize != 0)
        {
            throw new ArgumentException($"AES-IGE input must be a multiple of {BlockSize} bytes, got {source.Length}.", nameof(source));
        }

        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes, {source.Length} needed.", nameof(destination));
        }

        if (source.Overlaps(destination, out int offset) && offset != 0)
        {
            throw new ArgumentException("Source and destination overlap partially; use the same buffer or separate ones.", nameof(destination));
        }
    }
}
