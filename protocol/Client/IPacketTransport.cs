namespace Testbed.Protocol.Client;

/// <summary>
/// Carries whole MTProto packets (one unencrypted or encrypted message each) to a server and back. A transport error
/// from the server arrives as a 4-byte packet holding the negative code, whatever the transport.
/// </summary>
public interface IPacketTransport : IAsyncDisposable
{
    /// <summary>
    /// Whether the server can only answer requests (HTTP): a client that wants pushed messages must keep a request
    /// waiting (http_wait), and an answer with nothing in it arrives as an empty packet.
    /// </summary>
    bool IsRequestResponse => false;

    /// <summary>Sends one packet.</summary>
    Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default);

    /// <summary>The next packet from the server, or null when the connection is closed.</summary>
    Task<byte[]?> ReceiveAsync(CancellationToken cancel = default);
}
