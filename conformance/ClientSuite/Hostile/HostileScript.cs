namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// What one case makes the hostile server do differently from a correct server. The defaults are a correct server
/// (the reference server's handshake, <see cref="Responder"/>'s answers); a case sets the one thing it tests.
/// </summary>
internal sealed record HostileScript
{
    /// <summary>The handshake's deviation (none by default).</summary>
    public HandshakeDeviation Handshake { get; init; } = new();

    /// <summary>
    /// Sees each client message before the default answers; returns true when it dealt with the message itself (answered
    /// it wrongly, or not at all). Runs on the connection's loop: what it awaits delays that connection's next packet.
    /// </summary>
    public Func<ClientMessage, HostileSession, Task<bool>>? OnMessage { get; init; }

    /// <summary>The server's clock against the real one, for its msg_ids once the session runs (not for the handshake).</summary>
    public TimeSpan ClockOffset { get; init; }
}
