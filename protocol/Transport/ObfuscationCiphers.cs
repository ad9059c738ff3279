using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Transport;

/// <summary>
/// The two AES-256-CTR streams of an obfuscated connection, as one side sees them (docs/protocol.md §6.1):
/// <see cref="Send"/> for its own bytes, <see cref="Receive"/> for the peer's. Both have already run over the 64-byte
/// init header, so the next byte each transforms is the first byte after it. Disposing zeroes both.
/// </summary>
public sealed class ObfuscationCiphers(AesCtr send, AesCtr receive) : IDisposable
{
    /// <summary>Encrypts what this side sends.</summary>
    public AesCtr Send { get; } = send;

    /// <summary>Decrypts what the peer sends.</summary>
    public AesCtr Receive { get; } = receive;

    /// <inheritdoc />
    public void Dispose()
    {
        Send.Dispose();
        Receive.Dispose();
    }
}
