using System.Security.Cryptography;

namespace Testbed.Protocol.Crypto;

/// <summary>
/// AES-256 in counter mode as one continuous stream, the cipher of the transport obfuscation
/// (core.telegram.org/mtproto/mtproto-transports#transport-obfuscation, docs/protocol.md §6.1): the 16-byte IV is the
/// first counter block, incremented as a 128-bit big-endian number per block, as OpenSSL's <c>EVP_aes_256_ctr</c>
/// (which TDLib uses) does. Built on .NET's AES in ECB mode, which has no CTR mode of its own: the keystream is made
/// <see cref="KeystreamBlocks"/> blocks at a time into buffers held by the instance, so transforming allocates nothing.
/// One instance per connection and direction; not thread-safe. Disposing zeroes the key, the counter and the unused
/// keystream.
/// </summary>
public sealed class AesCtr : IDisposable
{
    /// <summary>The key size: AES-256 only, as the obfuscation uses.</summary>
    public const int KeySize = 32;

    /// <summary>The IV (first counter block) size.</summary>
    public const int IvSize = 16;

    private const int Block = 16;
    private const int KeystreamBlocks = 16;

    private readonly Aes _aes = Aes.Create();
    private readonly byte[] _counter = new byte[Block];
    private readonly byte[] _counterBlocks = new byte[KeystreamBlocks * Block];
    private readonly byte[] _keystream = new byte[KeystreamBlocks * Block];
    private int _used = KeystreamBlocks * Block;
    private bool _disposed;

    /// <summary>Starts the stream at <paramref name="iv"/> under <paramref name="key"/>.</summary>
    public AesCtr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(key.Length, KeySize, nameof(key));
        ArgumentOutOfRangeException.ThrowIfNotEqual(iv.Length, IvSize, nameof(iv));
        byte[] copy = key.ToArray();
        _aes.Key = copy; // the setter keeps a copy of its own
        CryptographicOperations.ZeroMemory(copy);
        iv.CopyTo(_counter);
    }

    /// <summary>
    /// XORs the next <paramref name="source"/>.Length bytes of the keystream into <paramref name="destination"/>
    /// (encryption and decryption are the same). The two may be the same buffer; partial overlap is not supported.
    /// </summary>
    public void Transform(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length, nameof(destination));
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < source.Length; i++)
        {
            if (_used == _keystream.Length)
            {
                Refill();
            }

            destination[i] = (byte)(source[i] ^ _keystream[_used++]);
        }
    }

    /// <summary>Transforms <paramref name="data"/> in place.</summary>
    public void Transform(Span<byte> data) => Transform(data, data);

    private void Refill()
    {
        for (int block = 0; block < KeystreamBlocks; block++)
        {
            _counter.CopyTo(_counterBlocks, block * Block);
            Increment();
        }

        _aes.EncryptEcb(_counterBlocks, _keystream, PaddingMode.None);
        _used = 0;
    }

    /// <summary>Adds one to the counter, a 128-bit big-endian number (the carry runs from the last byte).</summary>
    private void Increment()
    {
        for (int i = Block - 1; i >= 0 && ++_counter[i] == 0; i--)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_counter);
        CryptographicOperations.ZeroMemory(_counterBlocks);
        CryptographicOperations.ZeroMemory(_keystream);
        _aes.Dispose(); // zeroes the key it holds
    }
}
