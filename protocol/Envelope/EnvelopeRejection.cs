namespace Testbed.Protocol.Envelope;

/// <summary>
/// Why an encrypted message was refused. This is a diagnostic for tests, the conformance harness and the replay
/// lab: code that faces the network must treat every value alike (docs/protocol.md §2.4), which is why
/// <see cref="MessageEnvelope.TryDecrypt"/> does not expose it.
/// </summary>
public enum EnvelopeRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>Fewer bytes than auth_key_id, msg_key and the smallest possible encrypted part (48 bytes).</summary>
    TooShort,

    /// <summary>The encrypted part is not a whole number of 16-byte AES blocks.</summary>
    NotBlockAligned,

    /// <summary>auth_key_id is not the one of the key given.</summary>
    AuthKeyIdMismatch,

    /// <summary>msg_key does not match SHA-256 of the decrypted plaintext: tampering, truncation, extension, wrong key.</summary>
    MsgKeyMismatch,

    /// <summary>message_data_length is negative or runs past the end of the plaintext.</summary>
    LengthOutOfBounds,

    /// <summary>message_data_length is not divisible by 4.</summary>
    LengthNotMultipleOf4,

    /// <summary>Fewer than 12 bytes of padding.</summary>
    PaddingTooShort,

    /// <summary>More than 1024 bytes of padding.</summary>
    PaddingTooLong,
}
