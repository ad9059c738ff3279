namespace Testbed.Protocol.Tl;

/// <summary>One field of a combinator.</summary>
public sealed class TlParameter
{
    internal TlParameter(string name, TlTypeRef type, int flagsIndex, int flagBit)
    {
        Name = name;
        Type = type;
        FlagsIndex = flagsIndex;
        FlagBit = flagBit;
    }

    /// <summary>The field name.</summary>
    public string Name { get; }

    /// <summary>The field type.</summary>
    public TlTypeRef Type { get; }

    /// <summary>For a conditional field (<c>name:flags.N?type</c>): the index of the flags field; else -1.</summary>
    public int FlagsIndex { get; }

    /// <summary>For a conditional field: the bit N; else -1.</summary>
    public int FlagBit { get; }

    /// <summary>Whether the field is present only when its flag bit is set.</summary>
    public bool IsConditional => FlagsIndex >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{Name}:{TypeText(Type.ToString())}";

    /// <summary>The <c>name:type</c> text used in the CRC32 of the combinator.</summary>
    internal string CanonicalText(IReadOnlyList<TlParameter> siblings) =>
        $"{Name}:{(IsConditional ? $"{siblings[FlagsIndex].Name}.{FlagBit}?" : "")}{Type.CanonicalName}";

    private string TypeText(string type) => IsConditional ? $"flags.{FlagBit}?{type}" : type;
}
