namespace Testbed.Conformance.Vectors;

/// <summary>A vector file does not follow the schema (vectors/README.md): a usage error, exit code 2.</summary>
public sealed class VectorFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VectorFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public VectorFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public VectorFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
