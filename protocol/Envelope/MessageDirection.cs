namespace Testbed.Protocol.Envelope;

/// <summary>
/// Which way a message travels. The value is the offset <c>x</c> into the auth key that the msg_key and
/// key-derivation formulas use (docs/protocol.md §2.2): 0 from client to server, 8 from server to client.
/// </summary>
public enum MessageDirection
{
    /// <summary>x = 0.</summary>
    ClientToServer = 0,

    /// <summary>x = 8.</summary>
    ServerToClient = 8,
}
