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

    /// <summary>Creates the exception for an answer that failed a check.</summary>
    public HandshakeException(HandshakeAnswer refused, string message, Exception? innerException = null)
        : base(message, innerException) => Refused = refused;

    /// <summary>The server's answer that failed a check, when a check of the client refused one; null for other failures.</summary>
    public HandshakeAnswer? Refused { get; }
}
