namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// The operation under test: one whole-message decryption and check, true when the message is accepted. The real
/// one is <see cref="Testbed.Protocol.Envelope.MessageEnvelope.TryDecrypt"/>; the control is
/// <see cref="PlantedLeakDecryptor"/>.
/// </summary>
/// <param name="wire">The whole message as received.</param>
/// <param name="plaintext">A buffer for the plaintext, at least <paramref name="wire"/>.Length − 24 bytes.</param>
internal delegate bool Decryptor(ReadOnlySpan<byte> wire, Span<byte> plaintext);
