namespace Testbed.Protocol.Client;

/// <summary>The server answered with a transport error (-404, -429, -444) instead of a packet.</summary>
public sealed class TransportErrorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransportErrorException(int code)
        : base($"The server answered with transport error {code}.")
    {
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public TransportErrorException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TransportErrorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TransportErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The negative code.</summary>
    public int Code { get; }
}
