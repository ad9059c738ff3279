using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// The constant-time check's negative control, not production code: a decryptor like
/// <see cref="MessageEnvelope.TryDecrypt"/> (the same shape checks, key derivation, AES-IGE decryption and msg_key
/// recomputation, docs/protocol.md §2.4) except that it compares msg_key byte by byte and returns at the first
/// difference, the textbook timing leak that §2.4's <c>CryptographicOperations.FixedTimeEquals</c> exists to avoid.
/// The check runs it on the msg_key pair in the same run as the real decryptor: it must be found there, or the run
/// cannot tell a constant-time decryptor from a measurement too coarse to see a leak.
/// </summary>
internal static class PlantedLeakDecryptor
{
    /// <summary>Decrypts and checks like <see cref="MessageEnvelope.TryDecrypt"/>, with the early-exit msg_key comparison.</summary>
    public static bool TryDecrypt(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire, Span<byte> plaintext)
    {
        int encryptedLength = wire.Length - MessageEnvelope.WireHeaderSize;
        if (encryptedLength < MessageEnvelope.MinEncryptedLength || encryptedLength % AesIge.BlockSize != 0
            || BinaryPrimitives.ReadInt64LittleEndian(wire) != authKey.Id)
        {
            return false;
        }

        Span<byte> decrypted = plaintext[..encryptedLength];
        Span<byte> expectedMsgKey = stackalloc byte[MessageKey.Size];
        RecomputeMsgKey(authKey, direction, wire, decrypted, expectedMsgKey);
        if (!EqualsEarlyExit(expectedMsgKey, wire.Slice(8, MessageKey.Size), out _))
        {
            CryptographicOperations.ZeroMemory(decrypted);
            return false;
        }

        // msg_key matched: the layout checks are the real decryptor's (it decrypts again; only accepted messages pay).
        return MessageEnvelope.TryDecrypt(authKey, direction, wire, plaintext, out _);
    }

    /// <summary>
    /// §2.4 steps 2 and 3 up to the comparison: derives the AES key and IV from the packet's msg_key, decrypts into
    /// <paramref name="decrypted"/> and writes the msg_key of that plaintext to <paramref name="expectedMsgKey"/>.
    /// </summary>
    internal static void RecomputeMsgKey(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire, Span<byte> decrypted,
        Span<byte> expectedMsgKey)
    {
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(authKey, direction, wire.Slice(8, MessageKey.Size), aesKey, aesIv);
        AesIge.Decrypt(aesKey, aesIv, wire[MessageEnvelope.WireHeaderSize..], decrypted);
        MessageKey.Compute(authKey, direction, decrypted, expectedMsgKey);
        CryptographicOperations.ZeroMemory(aesKey);
        CryptographicOperations.ZeroMemory(aesIv);
    }

    /// <summary>
    /// The leak: compares byte by byte and stops at the first difference, so its time grows with the number of
    /// leading bytes that agree.
    /// </summary>
    /// <param name="expected">The msg_key the receiver computed.</param>
    /// <param name="received">The msg_key on the wire, as long as <paramref name="expected"/>.</param>
    /// <param name="examined">How many bytes were compared before the answer: the quantity the timing leaks.</param>
    internal static bool EqualsEarlyExit(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received, out int examined)
    {
        for (examined = 1; examined <= expected.Length; examined++)
        {
            if (expected[examined - 1] != received[examined - 1])
            {
                return false;
            }
        }

        examined = expected.Length;
        return true;
    }
}
