using System.Buffers.Binary;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Server.Sessions;

namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the envelope cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class EnvelopeViolations
{
    /// <summary>Only the answer changes: the packet is still not processed.</summary>
    public static readonly Violation UnknownKeyIgnored = new("ENV-001",
        "does not answer a message under an auth_key_id it does not know, instead of answering -404");

    /// <summary>
    /// A message is processed whenever its decrypted layout is sound, whatever its msg_key. ENV-003's flipped bit lies in
    /// the last block, which holds nothing but padding; anything that accepts a changed last block accepts the padding
    /// unauthenticated, so this also breaks ENV-005 (a block appended to the padding), ENV-013 (whose third copy is that
    /// appended block, now answered with a pong) and ENV-015 (a last block pasted from another message: to the server,
    /// as to any receiver, the same as a last block with a bit flipped). ENV-006 too, whenever its ping had extra padding
    /// blocks (7 times in 8): its cut-short message then has a sound layout, and only msg_key tells it from the original.
    /// </summary>
    public static readonly Violation MsgKeyUnchecked = new("ENV-003",
        "does not check msg_key: a message whose decrypted length and padding are sound is processed, whatever its last block")
    {
        AlsoBreaks = ["ENV-005", "ENV-006", "ENV-013", "ENV-015"],
    };

    /// <summary>Only the answer to an encrypted part that is not whole AES blocks changes.</summary>
    public static readonly Violation PartialBlockToldApart = new("ENV-007",
        "answers an encrypted part that is not whole 16-byte blocks with -400 instead of -404");

    /// <summary>Only the answer to a packet too short to be an encrypted message changes.</summary>
    public static readonly Violation ShortPacketIgnored = new("ENV-008",
        "does not answer a packet shorter than auth_key_id, msg_key and 48 bytes, instead of answering -404");

    /// <summary>ServiceMessageHandler.RefuseUnreadable: only the answer changes; the message is still not processed, and the session goes on.</summary>
    public static readonly Violation MalformedDataIgnored = new("ENV-016",
        "drops a valid envelope whose message data is not a TL object without an answer, instead of answering it with rpc_error");

    /// <summary>EncryptedMessageProcessor: a message that decrypted with exactly 1024 bytes of padding is refused like a failure (-404).</summary>
    public static readonly Violation LargestPaddingRefused = new("ENV-017",
        "refuses a message padded with exactly 1024 bytes (-404), reading MTProto 2.0's 12..1024 bound as exclusive");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
        [UnknownKeyIgnored, MsgKeyUnchecked, PartialBlockToldApart, ShortPacketIgnored, MalformedDataIgnored, LargestPaddingRefused];

    /// <summary>
    /// What a server with one of the refusal violations answers to a packet its key did not decrypt instead of -404;
    /// null when none applies (then the ordinary refusal stands).
    /// </summary>
    internal static EncryptedOutcome? RefusedOtherwise(ServerBehaviour behaviour, AuthKey key, ReadOnlySpan<byte> wire)
    {
        if (behaviour.Violations.Count == 0)
        {
            return null;
        }

        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        return EnvelopeDiagnostics.Decrypt(key, MessageDirection.ClientToServer, wire, plaintext, out _) switch
        {
            EnvelopeRejection.TooShort when behaviour.Violates(ShortPacketIgnored) => new EncryptedOutcome(0, "decryption_refused", "too short; not answered (violation)"),
            EnvelopeRejection.NotBlockAligned when behaviour.Violates(PartialBlockToldApart) =>
                new EncryptedOutcome(FaultyEnvelope.EarlyLayoutError, "decryption_refused", "not whole blocks (violation)"),
            _ => null,
        };
    }

    /// <summary>
    /// <see cref="MsgKeyUnchecked"/>: decrypts as the packet's msg_key says, then takes the plaintext as if msg_key were
    /// right (sealed again under its own msg_key and read by <see cref="MessageEnvelope.TryDecrypt"/>, whose layout checks stay).
    /// </summary>
    internal static bool TryDecryptWithoutMsgKey(AuthKey key, ReadOnlySpan<byte> wire, Span<byte> plaintext, out DecryptedEnvelope envelope)
    {
        envelope = default;
        if (!FaultyEnvelope.HasShape(wire))
        {
            return false;
        }

        byte[] decrypted = FaultyEnvelope.Decrypt(key, wire);
        byte[] resealed = wire.ToArray();
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        MessageKey.Compute(key, MessageDirection.ClientToServer, decrypted, resealed.AsSpan(8, MessageKey.Size));
        MessageKey.DeriveAesKeyIv(key, MessageDirection.ClientToServer, resealed.AsSpan(8, MessageKey.Size), aesKey, aesIv);
        AesIge.Encrypt(aesKey, aesIv, decrypted, resealed.AsSpan(MessageEnvelope.WireHeaderSize));
        return MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, resealed, plaintext, out envelope);
    }
}
