using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Envelope;

/// <summary>
/// Encrypts and decrypts whole MTProto 2.0 messages:
/// <c>auth_key_id (8) | msg_key (16) | AES-256-IGE(salt | session_id | msg_id | seq_no | length | data | padding)</c>
/// (docs/protocol.md §2). Allocation-free: callers pass the buffers.
/// </summary>
public static class MessageEnvelope
{
    /// <summary>auth_key_id and msg_key in front of the encrypted part.</summary>
    public const int WireHeaderSize = 8 + MessageKey.Size;

    /// <summary>salt, session_id, msg_id, seq_no and message_data_length in front of message_data.</summary>
    public const int PlaintextHeaderSize = 32;

    /// <summary>
    /// The smallest encrypted part that can be valid: a 32-byte header, no data and 12 bytes of padding,
    /// rounded up to whole blocks.
    /// </summary>
    public const int MinEncryptedLength = 48;

    /// <summary>The wire length of a message with the given data and padding lengths.</summary>
    public static int GetWireLength(int messageDataLength, int paddingLength) =>
        WireHeaderSize + PlaintextHeaderSize + messageDataLength + paddingLength;

    /// <summary>
    /// Lays out the plaintext (header, <paramref name="messageData"/>, <paramref name="paddingLength"/> random bytes),
    /// computes msg_key and encrypts it into <paramref name="destination"/>.
    /// </summary>
    /// <returns>The number of bytes written: <see cref="GetWireLength"/>.</returns>
    /// <exception cref="ArgumentException">
    /// message_data is not a multiple of 4 bytes, the padding is outside 12..1024 or does not make the plaintext a
    /// multiple of 16, or <paramref name="destination"/> is too small. To build a non-conforming message on purpose,
    /// use <see cref="EncryptPlaintext"/>.
    /// </exception>
    public static int Encrypt(AuthKey authKey, MessageDirection direction, in EnvelopeHeader header,
        ReadOnlySpan<byte> messageData, int paddingLength, Span<byte> destination)
    {
        if (messageData.Length % 4 != 0)
        {
            throw new ArgumentException($"message_data must be a multiple of 4 bytes, got {messageData.Length}.", nameof(messageData));
        }

        if (paddingLength is < PaddingPolicy.MinLength or > PaddingPolicy.MaxLength
            || (PlaintextHeaderSize + messageData.Length + paddingLength) % AesIge.BlockSize != 0)
        {
            throw new ArgumentException(
                $"Padding of {paddingLength} bytes is not in 12..1024 or does not make the plaintext a multiple of 16.",
                nameof(paddingLength));
        }

        int wireLength = GetWireLength(messageData.Length, paddingLength);
        if (destination.Length < wireLength)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes, {wireLength} needed.", nameof(destination));
        }

        // Lay the plaintext out where the ciphertext will go, then encrypt in place.
        Span<byte> plaintext = destination.Slice(WireHeaderSize, wireLength - WireHeaderSize);
        WritePlaintextHeader(plaintext, header, messageData.Length);
        messageData.CopyTo(plaintext[PlaintextHeaderSize..]);
        RandomPool.Fill(plaintext[(PlaintextHeaderSize + messageData.Length)..]);
        EncryptPlaintext(authKey, direction, plaintext, destination[..wireLength]);
        return wireLength;
    }

    /// <summary>
    /// Encrypts an already laid-out plaintext of any content, computing its msg_key. Nothing in the plaintext is
    /// checked, so this is how negative tests and the lab build messages with a lying length or bad padding.
    /// </summary>
    /// <param name="authKey">The key.</param>
    /// <param name="direction">Selects the key-derivation offset.</param>
    /// <param name="plaintext">The plaintext; a multiple of 16 bytes. May be <paramref name="destination"/>[24..].</param>
    /// <param name="destination">Receives auth_key_id, msg_key and the ciphertext: 24 + plaintext length bytes.</param>
    public static void EncryptPlaintext(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        if (plaintext.Length == 0 || plaintext.Length % AesIge.BlockSize != 0)
        {
            throw new ArgumentException($"The plaintext must be a non-empty multiple of 16 bytes, got {plaintext.Length}.", nameof(plaintext));
        }

        if (destination.Length < WireHeaderSize + plaintext.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes, {WireHeaderSize + plaintext.Length} needed.", nameof(destination));
        }

        Span<byte> msgKey = destination.Slice(8, MessageKey.Size);
        MessageKey.Compute(authKey, direction, plaintext, msgKey);
        authKey.WriteId(destination);

        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        try
        {
            MessageKey.DeriveAesKeyIv(authKey, direction, msgKey, aesKey, aesIv);
            AesIge.Encrypt(aesKey, aesIv, plaintext, destination.Slice(WireHeaderSize, plaintext.Length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
            CryptographicOperations.ZeroMemory(aesIv);
        }
    }

    /// <summary>
    /// Decrypts and checks a wire message. Every failure, whatever its cause, gives the same <c>false</c> and a
    /// zeroed <paramref name="plaintext"/>: a peer must not learn which check failed (docs/protocol.md §2.4).
    /// msg_key is checked first, in constant time; the length and padding checks come only after it.
    /// </summary>
    /// <param name="authKey">The key whose auth_key_id the message must carry.</param>
    /// <param name="direction">Selects the key-derivation offset.</param>
    /// <param name="wire">The whole message as received.</param>
    /// <param name="plaintext">Receives the plaintext: at least <paramref name="wire"/>.Length - 24 bytes.</param>
    /// <param name="envelope">The header and the data's position, when accepted.</param>
    public static bool TryDecrypt(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire, Span<byte> plaintext,
        out DecryptedEnvelope envelope) =>
        Decrypt(authKey, direction, wire, plaintext, out envelope) == EnvelopeRejection.None;

    /// <summary>The decryption behind <see cref="TryDecrypt"/>, keeping the reason; see <see cref="EnvelopeDiagnostics"/>.</summary>
    /// <param name="authKey">The key whose auth_key_id the message must carry.</param>
    /// <param name="direction">Selects the key-derivation offset.</param>
    /// <param name="wire">The whole message as received.</param>
    /// <param name="plaintext">Receives the plaintext.</param>
    /// <param name="envelope">The header and the data's position, when accepted.</param>
    /// <param name="verifyMsgKey">
    /// False only for the client's no-msg-key-check fault (<see cref="Client.ClientFaults.NoMsgKeyCheck"/>): the
    /// plaintext is taken without comparing msg_key, the defect the conformance suite must catch.
    /// </param>
    internal static EnvelopeRejection Decrypt(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire,
        Span<byte> plaintext, out DecryptedEnvelope envelope, bool verifyMsgKey = true)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        envelope = default;
        int encryptedLength = wire.Length - WireHeaderSize;
        if (plaintext.Length < Math.Max(encryptedLength, 0))
        {
            throw new ArgumentException($"Plaintext buffer holds {plaintext.Length} bytes, {encryptedLength} needed.", nameof(plaintext));
        }

        // Public, shape-only checks: they depend on nothing secret, so their timing tells an attacker nothing new.
        EnvelopeRejection rejection = CheckShape(authKey, wire);
        if (rejection != EnvelopeRejection.None)
        {
            return rejection;
        }

        Span<byte> decrypted = plaintext[..encryptedLength];
        rejection = DecryptAndCheckMsgKey(authKey, direction, wire, decrypted, verifyMsgKey);
        if (rejection == EnvelopeRejection.None)
        {
            // Only now, with the plaintext authenticated, is the length field read (the fix for the
            // length-before-MAC timing oracle, docs/protocol.md §7).
            rejection = CheckLayout(decrypted, out envelope);
        }

        if (rejection != EnvelopeRejection.None)
        {
            CryptographicOperations.ZeroMemory(decrypted);
            envelope = default;
        }

        return rejection;
    }

    private static EnvelopeRejection CheckShape(AuthKey authKey, ReadOnlySpan<byte> wire)
    {
        if (wire.Length < WireHeaderSize + MinEncryptedLength)
        {
            return EnvelopeRejection.TooShort;
        }

        if ((wire.Length - WireHeaderSize) % AesIge.BlockSize != 0)
        {
            return EnvelopeRejection.NotBlockAligned;
        }

        return BinaryPrimitives.ReadInt64LittleEndian(wire) == authKey.Id
            ? EnvelopeRejection.None
            : EnvelopeRejection.AuthKeyIdMismatch;
    }

    private static EnvelopeRejection DecryptAndCheckMsgKey(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire,
        Span<byte> decrypted, bool verifyMsgKey)
    {
        ReadOnlySpan<byte> msgKey = wire.Slice(8, MessageKey.Size);
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        Span<byte> expectedMsgKey = stackalloc byte[MessageKey.Size];
        try
        {
            MessageKey.DeriveAesKeyIv(authKey, direction, msgKey, aesKey, aesIv);
            AesIge.Decrypt(aesKey, aesIv, wire[WireHeaderSize..], decrypted);
            MessageKey.Compute(authKey, direction, decrypted, expectedMsgKey);
            return CryptographicOperations.FixedTimeEquals(expectedMsgKey, msgKey) || !verifyMsgKey
                ? EnvelopeRejection.None
                : EnvelopeRejection.MsgKeyMismatch;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
            CryptographicOperations.ZeroMemory(aesIv);
        }
    }

    private static EnvelopeRejection CheckLayout(ReadOnlySpan<byte> plaintext, out DecryptedEnvelope envelope)
    {
        envelope = default;
        int length = BinaryPrimitives.ReadInt32LittleEndian(plaintext[28..]);
        int available = plaintext.Length - PlaintextHeaderSize;
        if (length < 0 || length > available)
        {
            return EnvelopeRejection.LengthOutOfBounds;
        }

        if (length % 4 != 0)
        {
            return EnvelopeRejection.LengthNotMultipleOf4;
        }

        int padding = available - length;
        if (padding < PaddingPolicy.MinLength)
        {
            return EnvelopeRejection.PaddingTooShort;
        }

        if (padding > PaddingPolicy.MaxLength)
        {
            return EnvelopeRejection.PaddingTooLong;
        }

        var header = new EnvelopeHeader(
            Salt: BinaryPrimitives.ReadInt64LittleEndian(plaintext),
            SessionId: BinaryPrimitives.ReadInt64LittleEndian(plaintext[8..]),
            MsgId: BinaryPrimitives.ReadInt64LittleEndian(plaintext[16..]),
            SeqNo: BinaryPrimitives.ReadInt32LittleEndian(plaintext[24..]));
        envelope = new DecryptedEnvelope(header, length, padding);
        return EnvelopeRejection.None;
    }

    /// <summary>Writes salt, session_id, msg_id, seq_no and message_data_length: the first 32 plaintext bytes.</summary>
    public static void WritePlaintextHeader(Span<byte> plaintext, in EnvelopeHeader header, int messageDataLength)
    {
        BinaryPrimitives.WriteInt64LittleEndian(plaintext, header.Salt);
        BinaryPrimitives.WriteInt64LittleEndian(plaintext[8..], header.SessionId);
        BinaryPrimitives.WriteInt64LittleEndian(plaintext[16..], header.MsgId);
        BinaryPrimitives.WriteInt32LittleEndian(plaintext[24..], header.SeqNo);
        BinaryPrimitives.WriteInt32LittleEndian(plaintext[28..], messageDataLength);
    }
}
