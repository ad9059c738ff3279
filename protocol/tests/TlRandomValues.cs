using System.Collections;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

/// <summary>Random, schema-valid TL objects: every field of every combinator, nesting bounded by depth.</summary>
internal sealed class TlRandomValues(TlSchema schema, Random random)
{
    private const int MaxDepth = 4;

    public TlObject AnyObject(int depth = 0)
    {
        IReadOnlyList<TlCombinator> choices = depth < MaxDepth ? schema.Combinators : Leaves();
        return Object(choices[random.Next(choices.Count)], depth);
    }

    public TlObject Object(TlCombinator combinator, int depth)
    {
        IReadOnlyList<TlParameter> parameters = combinator.Parameters;
        object?[] values = new object?[parameters.Count];
        for (int i = 0; i < values.Length; i++)
        {
            TlParameter parameter = parameters[i];
            if (parameter.Type.Kind == TlTypeKind.Flags)
            {
                values[i] = random.Next() & ~AllConditionalBits(parameters, i); // unknown bits survive a round trip too
                continue;
            }

            if (parameter.IsConditional)
            {
                bool present = random.Next(2) == 0;
                if (present)
                {
                    values[parameter.FlagsIndex] = (int)values[parameter.FlagsIndex]! | (1 << parameter.FlagBit);
                }

                values[i] = !present ? null : parameter.Type.Kind == TlTypeKind.True ? true : Value(parameter.Type, depth + 1);
                continue;
            }

            values[i] = Value(parameter.Type, depth + 1);
        }

        return new TlObject(combinator, values);
    }

    private object Value(TlTypeRef type, int depth) => type.Kind switch
    {
        TlTypeKind.Int => random.Next(int.MinValue, int.MaxValue),
        TlTypeKind.Long => random.NextInt64(long.MinValue, long.MaxValue),
        TlTypeKind.Double => BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
        TlTypeKind.Int128 => Bytes(16),
        TlTypeKind.Int256 => Bytes(32),
        TlTypeKind.String or TlTypeKind.Bytes => Bytes(random.Next(4) switch { 0 => random.Next(250, 260), 1 => random.Next(0, 4), _ => random.Next(0, 600) }),
        TlTypeKind.Bool => random.Next(2) == 0,
        TlTypeKind.Vector or TlTypeKind.BareVector => Vector(type.Element!, depth),
        TlTypeKind.Object => AnyObject(depth),
        TlTypeKind.Boxed => Boxed(type.Name, depth),
        TlTypeKind.Bare => Object(type.BareConstructor!, depth),
        _ => throw new InvalidOperationException(type.Kind.ToString()),
    };

    private IList Vector(TlTypeRef element, int depth)
    {
        int count = depth < MaxDepth ? random.Next(0, 4) : 0;
        return element.Kind switch
        {
            TlTypeKind.Int => Enumerable.Range(0, count).Select(_ => random.Next()).ToArray(),
            TlTypeKind.Long => Enumerable.Range(0, count).Select(_ => random.NextInt64()).ToArray(),
            _ => Enumerable.Range(0, count).Select(_ => (object?)Value(element, depth + 1)).ToArray(),
        };
    }

    private TlObject Boxed(string typeName, int depth)
    {
        IReadOnlyList<TlCombinator> constructors = schema.ConstructorsOf(typeName);
        return Object(constructors[random.Next(constructors.Count)], depth);
    }

    private byte[] Bytes(int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private List<TlCombinator> Leaves() =>
        schema.Combinators.Where(c => c.Parameters.All(p => p.Type.Kind is not (TlTypeKind.Object or TlTypeKind.Boxed or TlTypeKind.Bare
            or TlTypeKind.Vector or TlTypeKind.BareVector))).ToList();

    private static int AllConditionalBits(IReadOnlyList<TlParameter> parameters, int flagsIndex) =>
        parameters.Where(p => p.FlagsIndex == flagsIndex).Aggregate(0, (bits, p) => bits | (1 << p.FlagBit));
}
