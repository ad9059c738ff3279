namespace Testbed.Conformance.Vectors;

/// <summary>How an algorithm-specific field is written in a vector file.</summary>
internal enum VectorFieldKind
{
    /// <summary>Lower- or upper-case hex, even length (may be empty).</summary>
    Hex,

    /// <summary>A JSON integer.</summary>
    Integer,

    /// <summary>A decimal integer in a string (values past 2^53, which JSON numbers cannot carry exactly).</summary>
    Decimal,

    /// <summary>Free text.</summary>
    Text,
}

/// <summary>An algorithm-specific field a test needs.</summary>
/// <param name="Name">The JSON property name, on the test or on its group.</param>
/// <param name="Kind">How it is written.</param>
/// <param name="OnlyForValid">Needed only by tests whose result is "valid".</param>
internal sealed record VectorField(string Name, VectorFieldKind Kind, bool OnlyForValid = false);
