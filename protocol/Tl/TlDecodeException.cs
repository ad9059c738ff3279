namespace Testbed.Protocol.Tl;

/// <summary>What was wrong with TL input.</summary>
public enum TlDecodeError
{
    /// <summary>The input ended inside a value.</summary>
    Truncated,

    /// <summary>A string/bytes length prefix of 0xFF, which TL does not define.</summary>
    InvalidLengthPrefix,

    /// <summary>A long-form (0xFE) length under 254, which has a short form; refused so that every value has one encoding.</summary>
    NonCanonicalLength,

    /// <summary>Non-zero bytes in the padding after a string; refused so that every value has one encoding.</summary>
    NonZeroPadding,

    /// <summary>A constructor id the schema does not know.</summary>
    UnknownConstructor,

    /// <summary>
    /// A constructor id the schema does not know where a function was expected: the query an API wrapper carries
    /// (invokeWithLayer and the like). Told apart from <see cref="UnknownConstructor"/> so that a server can answer an
    /// unknown method as such (docs/protocol.md §4.3).
    /// </summary>
    UnknownFunction,

    /// <summary>A known constructor of a type other than the one expected here.</summary>
    WrongType,

    /// <summary>A Bool that is neither boolTrue nor boolFalse.</summary>
    InvalidBool,

    /// <summary>A boxed vector without the vector#1cb5c415 id.</summary>
    NotAVector,

    /// <summary>A vector count that is negative or that the remaining input cannot hold.</summary>
    InvalidCount,

    /// <summary>Objects nested deeper than the codec's limit.</summary>
    TooDeep,

    /// <summary>Bytes left over after the object.</summary>
    TrailingBytes,
}

/// <summary>TL input could not be decoded. The only exception the TL reading API throws for bad input.</summary>
public sealed class TlDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlDecodeException(TlDecodeError error, int offset, string message)
        : base($"TL decode error at byte {offset}: {message}")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates the exception.</summary>
    public TlDecodeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlDecodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TlDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What was wrong.</summary>
    public TlDecodeError Error { get; }

    /// <summary>The input offset where the problem was found.</summary>
    public int Offset { get; }
}
