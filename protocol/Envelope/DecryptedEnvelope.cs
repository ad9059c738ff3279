namespace Testbed.Protocol.Envelope;

/// <summary>
/// Where the parts of a decrypted message lie in the plaintext buffer given to
/// <see cref="MessageEnvelope.TryDecrypt"/>: the header fields, then message_data at
/// [<see cref="MessageEnvelope.PlaintextHeaderSize"/>, +<see cref="MessageDataLength"/>), then the padding.
/// </summary>
/// <param name="Header">salt, session_id, msg_id, seq_no.</param>
/// <param name="MessageDataLength">message_data_length (validated: divisible by 4, within the plaintext).</param>
/// <param name="PaddingLength">Bytes of padding after message_data (validated: 12 to 1024).</param>
public readonly record struct DecryptedEnvelope(EnvelopeHeader Header, int MessageDataLength, int PaddingLength)
{
    /// <summary>Length of the whole plaintext (header, data, padding).</summary>
    public int PlaintextLength => MessageEnvelope.PlaintextHeaderSize + MessageDataLength + PaddingLength;

    /// <summary>The message_data bytes inside the plaintext buffer that was decrypted into.</summary>
    public ReadOnlySpan<byte> MessageData(ReadOnlySpan<byte> plaintext) =>
        plaintext.Slice(MessageEnvelope.PlaintextHeaderSize, MessageDataLength);
}
