namespace Testbed.Protocol.Handshake;

/// <summary>The client refused a server's handshake answer; the message says which check failed.</summary>
public sealed class HandshakeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HandshakeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HandshakeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public HandshakeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
