namespace Testbed.Protocol.Envelope;

/// <summary>
/// Decryption that says why a message was refused: for tests, vector checks, the conformance harness and the
/// replay lab. Never let its answer reach a peer; network-facing code uses <see cref="MessageEnvelope.TryDecrypt"/>,
/// which reports every failure alike.
/// </summary>
public static class EnvelopeDiagnostics
{
    /// <summary>Decrypts like <see cref="MessageEnvelope.TryDecrypt"/> and returns the reason for a refusal.</summary>
    /// <returns><see cref="EnvelopeRejection.None"/> when the message is accepted.</returns>
    public static EnvelopeRejection Decrypt(AuthKey authKey, MessageDirection direction, ReadOnlySpan<byte> wire,
        Span<byte> plaintext, out DecryptedEnvelope envelope) =>
        MessageEnvelope.Decrypt(authKey, direction, wire, plaintext, out envelope);
}
