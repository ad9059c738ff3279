namespace Testbed.Protocol.Tl;

/// <summary>The kinds of type a TL parameter can have.</summary>
public enum TlTypeKind
{
    /// <summary>32-bit signed integer.</summary>
    Int,

    /// <summary>64-bit signed integer.</summary>
    Long,

    /// <summary>IEEE 754 double.</summary>
    Double,

    /// <summary>16 raw bytes (nonces).</summary>
    Int128,

    /// <summary>32 raw bytes.</summary>
    Int256,

    /// <summary>Length-prefixed bytes, padded to 4 (TL strings are bytes; UTF-8 by convention).</summary>
    String,

    /// <summary>Same wire form as <see cref="String"/>.</summary>
    Bytes,

    /// <summary>boolTrue#997275b5 / boolFalse#bc799737, as a <see cref="bool"/>.</summary>
    Bool,

    /// <summary>The flag-only type: present or absent, never on the wire.</summary>
    True,

    /// <summary><c>#</c>: a 32-bit field of flags that conditional parameters refer to.</summary>
    Flags,

    /// <summary><c>Vector&lt;t&gt;</c>: vector#1cb5c415, count, elements.</summary>
    Vector,

    /// <summary><c>vector&lt;t&gt;</c>: count and elements, no constructor id.</summary>
    BareVector,

    /// <summary><c>Object</c>: any boxed object (constructor or function).</summary>
    Object,

    /// <summary><c>!X</c>: the query a generic wrapper carries, any boxed function; its result is the wrapper's.</summary>
    Query,

    /// <summary>A boxed type of the schema: a constructor id, then that constructor's fields.</summary>
    Boxed,

    /// <summary>A bare constructor (<c>name</c> or <c>%Type</c>): its fields only.</summary>
    Bare,
}

/// <summary>A parameter's type, resolved against its schema.</summary>
public sealed class TlTypeRef
{
    internal TlTypeRef(TlTypeKind kind, string name, TlTypeRef? element = null)
    {
        Kind = kind;
        Name = name;
        Element = element;
    }

    /// <summary>What kind of type this is.</summary>
    public TlTypeKind Kind { get; }

    /// <summary>The type as written in the schema (for vectors, the element's name is in <see cref="Element"/>).</summary>
    public string Name { get; }

    /// <summary>The element type of a vector.</summary>
    public TlTypeRef? Element { get; }

    /// <summary>For <see cref="TlTypeKind.Bare"/>: the constructor; set when the schema is resolved.</summary>
    public TlCombinator? BareConstructor { get; internal set; }

    /// <summary>
    /// The form used in the CRC32 that defines a constructor id: <c>bytes</c> is written <c>string</c>, a vector's
    /// angle brackets become a space, and a bare <c>%Type</c> is written as its constructor's name.
    /// </summary>
    public string CanonicalName => Kind switch
    {
        TlTypeKind.Bytes => "string",
        TlTypeKind.Vector => "Vector " + Element!.CanonicalName,
        TlTypeKind.BareVector => "vector " + Element!.CanonicalName,
        TlTypeKind.Bare => BareConstructor?.Name ?? Name,
        _ => Name,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        TlTypeKind.Vector => $"Vector<{Element}>",
        TlTypeKind.BareVector => $"vector<{Element}>",
        _ => Name,
    };
}
