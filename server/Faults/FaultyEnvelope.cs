using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;

namespace Testbed.Server.Faults;

/// <summary>
/// The deliberately wrong envelope handling of two fault profiles. Nothing here runs on the hardened server, which
/// uses <see cref="MessageEnvelope.TryDecrypt"/> only.
/// </summary>
internal static class FaultyEnvelope
{
    /// <summary>The early answer of length-before-mac: a code no correct MTProto server sends.</summary>
    public const int EarlyLayoutError = -400;

    private const int HeaderSize = MessageEnvelope.PlaintextHeaderSize;

    /// <summary>
    /// length-before-mac: decrypts and judges message_data_length and the padding before anything authenticates them.
    /// True when the layout is bad, which the server then answers at once with <see cref="EarlyLayoutError"/>.
    /// </summary>
    public static bool LayoutIsBad(AuthKey key, ReadOnlySpan<byte> wire)
    {
        if (!HasShape(wire))
        {
            return false; // shape failures take the ordinary path
        }

        byte[] plaintext = Decrypt(key, wire);
        try
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(plaintext.AsSpan(28));
            int padding = plaintext.Length - HeaderSize - length;
            return length < 0 || padding < PaddingPolicy.MinLength || padding > PaddingPolicy.MaxLength || length % 4 != 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// padding-unchecked: accepts a message when msg_key matches any block-aligned prefix that still holds the whole
    /// message data, taking the rest as padding of any length — so appended blocks go unnoticed.
    /// </summary>
    public static bool TryDecryptIgnoringPadding(AuthKey key, ReadOnlySpan<byte> wire, Span<byte> plaintext, out DecryptedEnvelope envelope)
    {
        envelope = default;
        if (!HasShape(wire))
        {
            return false;
        }

        byte[] decrypted = Decrypt(key, wire);
        try
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(decrypted.AsSpan(28));
            if (length < 0 || length % 4 != 0 || length > decrypted.Length - HeaderSize)
            {
                return false;
            }

            Span<byte> msgKey = stackalloc byte[MessageKey.Size];
            for (int end = AlignUp(HeaderSize + length); end <= decrypted.Length; end += AesIge.BlockSize)
            {
                MessageKey.Compute(key, MessageDirection.ClientToServer, decrypted.AsSpan(0, end), msgKey);
                if (CryptographicOperations.FixedTimeEquals(msgKey, wire.Slice(8, MessageKey.Size)))
                {
                    decrypted.CopyTo(plaintext);
                    var header = new EnvelopeHeader(BinaryPrimitives.ReadInt64LittleEndian(decrypted),
                        BinaryPrimitives.ReadInt64LittleEndian(decrypted.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(decrypted.AsSpan(16)),
                        BinaryPrimitives.ReadInt32LittleEndian(decrypted.AsSpan(24)));
                    envelope = new DecryptedEnvelope(header, length, end - HeaderSize - length);
                    return true;
                }
            }

            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decrypted);
        }
    }

    internal static bool HasShape(ReadOnlySpan<byte> wire) =>
        wire.Length >= MessageEnvelope.WireHeaderSize + MessageEnvelope.MinEncryptedLength
        && (wire.Length - MessageEnvelope.WireHeaderSize) % AesIge.BlockSize == 0;

    internal static byte[] Decrypt(AuthKey key, ReadOnlySpan<byte> wire)
    {
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(key, MessageDirection.ClientToServer, wire.Slice(8, MessageKey.Size), aesKey, aesIv);
        byte[] plaintext = new byte[wire.Length - MessageEnvelope.WireHeaderSize];
        AesIge.Decrypt(aesKey, aesIv, wire[MessageEnvelope.WireHeaderSize..], plaintext);
        CryptographicOperations.ZeroMemory(aesKey);
        CryptographicOperations.ZeroMemory(aesIv);
        return plaintext;
    }

    private static int AlignUp(int length) => (length + AesIge.BlockSize - 1) / AesIge.BlockSize * AesIge.BlockSize;
}
