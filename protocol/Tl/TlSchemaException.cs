namespace Testbed.Protocol.Tl;

/// <summary>A <c>.tl</c> schema text could not be parsed or resolved.</summary>
public sealed class TlSchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlSchemaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlSchemaException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
