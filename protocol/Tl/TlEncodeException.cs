namespace Testbed.Protocol.Tl;

/// <summary>A value cannot be written as the TL type its schema gives (wrong .NET type, size or flags).</summary>
public sealed class TlEncodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlEncodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlEncodeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlEncodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
