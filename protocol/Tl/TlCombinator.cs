using System.IO.Hashing;
using System.Text;

namespace Testbed.Protocol.Tl;

/// <summary>A constructor or function of a TL schema: name, id, fields and result type.</summary>
public sealed class TlCombinator
{
    internal TlCombinator(string name, uint? declaredId, IReadOnlyList<TlParameter> parameters, string resultType, bool isFunction)
    {
        Name = name;
        Parameters = parameters;
        ResultType = resultType;
        IsFunction = isFunction;
        DeclaredId = declaredId;
    }

    /// <summary>The combinator name, such as <c>resPQ</c>.</summary>
    public string Name { get; }

    /// <summary>The constructor id: the declared one, else the CRC32 of <see cref="CanonicalText"/>.</summary>
    /// <remarks>Set when the schema is resolved, since the canonical text depends on resolved bare types.</remarks>
    public uint Id { get; internal set; }

    /// <summary>The id written after <c>#</c> in the schema, if any.</summary>
    public uint? DeclaredId { get; }

    /// <summary>The CRC32 of <see cref="CanonicalText"/>: what the id should be by the TL rules.</summary>
    public uint ComputedId => Crc32.HashToUInt32(Encoding.UTF8.GetBytes(CanonicalText));

    /// <summary>The fields, in wire order.</summary>
    public IReadOnlyList<TlParameter> Parameters { get; }

    /// <summary>The boxed type this combinator builds (for a function: the type of its result).</summary>
    public string ResultType { get; }

    /// <summary>Whether this is a function (an RPC query) rather than a constructor.</summary>
    public bool IsFunction { get; }

    /// <summary>
    /// Whether this is a wrapper generic in its query's type (<c>{X:Type} ... query:!X = X</c>): its result is the
    /// result of the function it carries.
    /// </summary>
    public bool IsGeneric { get; internal init; }

    /// <summary>The combinator as the TL rules normalise it before taking its CRC32.</summary>
    public string CanonicalText
    {
        get
        {
            // A generic's {X:Type} is written X:Type, as the official generators normalise it before the CRC32.
            var text = new StringBuilder(Name).Append(IsGeneric ? " X:Type" : "");
            // Flag-only fields (name:flags.N?true) are left out, as the official generators do: they are never on the wire.
            foreach (TlParameter parameter in Parameters.Where(p => p.Type.Kind != TlTypeKind.True))
            {
                text.Append(' ').Append(parameter.CanonicalText(Parameters));
            }

            return text.Append(" = ").Append(ResultType).ToString();
        }
    }

    /// <summary>The index of the field called <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (Parameters[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}#{Id:x8}";
}
