using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Testbed.Protocol.Envelope;

/// <summary>
/// A 2048-bit MTProto authorization key with its derived identifiers (docs/protocol.md §2.2):
/// <c>auth_key_id = SHA1(auth_key)[12:20]</c> and <c>auth_key_aux_hash = SHA1(auth_key)[0:8]</c>.
/// Dispose it to wipe the key bytes.
/// </summary>
public sealed class AuthKey : IDisposable
{
    /// <summary>The key size in bytes.</summary>
    public const int Size = 256;

    private readonly byte[] _key;
    private bool _disposed;

    private AuthKey(byte[] key)
    {
        _key = key;
        Span<byte> sha1 = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(key, sha1);
        Id = BinaryPrimitives.ReadInt64LittleEndian(sha1[12..20]);
        AuxHash = BinaryPrimitives.ReadInt64LittleEndian(sha1[..8]);
    }

    /// <summary>
    /// auth_key_id as the TL <c>long</c> the wire carries: the bytes <c>SHA1(auth_key)[12:20]</c> read little-endian.
    /// </summary>
    public long Id { get; }

    /// <summary>
    /// How the testbed prints an auth_key_id for people, everywhere (logs, security events, the inspector, reports,
    /// captures): the 64-bit value as 16 lowercase hex digits. The wire holds it little-endian, so a hex dump shows
    /// the same 8 bytes in the opposite order (docs/protocol.md §2.2).
    /// </summary>
    public static string FormatId(long id) => ((ulong)id).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>auth_key_aux_hash: the bytes <c>SHA1(auth_key)[0:8]</c> read little-endian.</summary>
    public long AuxHash { get; }

    /// <summary>The key bytes. Throws once the key is disposed.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>Copies a 256-byte key.</summary>
    /// <exception cref="ArgumentException">The key is not 256 bytes.</exception>
    public static AuthKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"An auth key is {Size} bytes, got {key.Length}.", nameof(key));
        }

        return new AuthKey(key.ToArray());
    }

    /// <summary>Writes the 8 wire bytes of <see cref="Id"/>.</summary>
    public void WriteId(Span<byte> destination) => BinaryPrimitives.WriteInt64LittleEndian(destination, Id);

    /// <summary>Wipes the key bytes.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }
}
