namespace Testbed.Protocol.Client;

/// <summary>The server refused a message with bad_msg_notification, and re-sending cannot fix it.</summary>
public sealed class BadMessageException : Exception
{
    /// <summary>Creates the exception for an error code (docs/protocol.md §3.4).</summary>
    public BadMessageException(int code)
        : base($"The server refused the message with bad_msg_notification code {code}.")
    {
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public BadMessageException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadMessageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error code (16, 17, 18, 19, 20, 32–35, 48, 64).</summary>
    public int Code { get; }
}
