using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;

namespace Testbed.Protocol.Tl;

/// <summary>
/// Reads and writes <see cref="TlObject"/>s as the schema describes them (docs/protocol.md §4). Bad input is always
/// a <see cref="TlDecodeException"/>, never another exception; memory stays proportional to the input (a vector's
/// count is checked against the bytes left before anything is allocated) and nesting is limited. Thread-safe.
/// </summary>
public sealed class TlCodec
{
    /// <summary>The default nesting limit: far above what MTProto needs (a container in gzip in an RPC result).</summary>
    public const int DefaultMaxDepth = 32;

    private readonly ConcurrentDictionary<TlCombinator, int> _minBareSize = new();

    /// <summary>Creates a codec for <paramref name="schema"/>.</summary>
    public TlCodec(TlSchema schema, int maxDepth = DefaultMaxDepth)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        Schema = schema;
        MaxDepth = maxDepth;
    }

    /// <summary>A codec for the MTProto schema shipped with the library.</summary>
    public static TlCodec MTProto { get; } = new(TlSchema.MTProto);

    /// <summary>A codec for <see cref="TlSchema.Testbed"/>: MTProto plus the chat layer.</summary>
    public static TlCodec Testbed { get; } = new(TlSchema.Testbed);

    /// <summary>The schema.</summary>
    public TlSchema Schema { get; }

    /// <summary>The deepest nesting of objects and vectors accepted.</summary>
    public int MaxDepth { get; }

    /// <summary>Reads one boxed object (constructor or function) that must fill <paramref name="data"/> exactly.</summary>
    /// <exception cref="TlDecodeException">The input is not exactly one valid object.</exception>
    public TlObject Deserialize(ReadOnlySpan<byte> data)
    {
        var reader = new TlReader(data);
        TlObject result = ReadObject(ref reader);
        if (reader.Remaining != 0)
        {
            throw new TlDecodeException(TlDecodeError.TrailingBytes, reader.Position, $"{reader.Remaining} bytes after the object.");
        }

        return result;
    }

    /// <summary>Reads one boxed object of any type, constructor or function.</summary>
    public TlObject ReadObject(ref TlReader reader) => ReadBoxed(ref reader, null, 0);

    /// <summary>Reads one boxed object that must be a constructor of <paramref name="typeName"/>.</summary>
    public TlObject ReadBoxed(ref TlReader reader, string typeName) => ReadBoxed(ref reader, typeName, 0);

    /// <summary>Reads the fields of <paramref name="combinator"/> with no constructor id in front.</summary>
    public TlObject ReadBare(ref TlReader reader, TlCombinator combinator)
    {
        ArgumentNullException.ThrowIfNull(combinator);
        return ReadFields(ref reader, combinator, 1);
    }

    /// <summary>Writes <paramref name="value"/> boxed and returns the bytes.</summary>
    /// <exception cref="TlEncodeException">A value does not fit its parameter's type.</exception>
    public byte[] Serialize(TlObject value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteObject(new TlWriter(buffer), value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="value"/> boxed: its constructor id, then its fields.</summary>
    public void WriteObject(TlWriter writer, TlObject value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteUInt32(value.Combinator.Id);
        WriteFields(writer, value, 1);
    }

    /// <summary>Writes the fields of <paramref name="value"/> with no constructor id.</summary>
    public void WriteBare(TlWriter writer, TlObject value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        WriteFields(writer, value, 1);
    }

    private TlObject ReadBoxed(ref TlReader reader, string? typeName, int depth)
    {
        CheckDepth(depth, reader.Position);
        int start = reader.Position;
        uint id = reader.ReadUInt32();
        if (!Schema.TryGet(id, out TlCombinator? combinator))
        {
            throw new TlDecodeException(TlDecodeError.UnknownConstructor, start, $"unknown constructor 0x{id:x8}.");
        }

        if (typeName is not null && (combinator.IsFunction || combinator.ResultType != typeName))
        {
            throw new TlDecodeException(TlDecodeError.WrongType, start, $"{combinator} where a {typeName} was expected.");
        }

        return ReadFields(ref reader, combinator, depth + 1);
    }

    // A generic wrapper's !X: any function, and only a function (the wrapper's result is its result).
    private TlObject ReadQuery(ref TlReader reader, int depth)
    {
        int start = reader.Position;
        TlObject query;
        try
        {
            query = ReadBoxed(ref reader, null, depth);
        }
        catch (TlDecodeException e) when (e.Error == TlDecodeError.UnknownConstructor && e.Offset == start)
        {
            throw new TlDecodeException(TlDecodeError.UnknownFunction, start, $"unknown function where a wrapper's query was expected ({e.Message}).");
        }

        return query.Combinator.IsFunction
            ? query
            : throw new TlDecodeException(TlDecodeError.WrongType, start, $"{query.Combinator} where a function was expected.");
    }

    private TlObject ReadFields(ref TlReader reader, TlCombinator combinator, int depth)
    {
        CheckDepth(depth, reader.Position);
        IReadOnlyList<TlParameter> parameters = combinator.Parameters;
        object?[] values = new object?[parameters.Count];
        for (int i = 0; i < values.Length; i++)
        {
            TlParameter parameter = parameters[i];
            if (parameter.IsConditional && !IsFlagSet(values, parameter))
            {
                continue;
            }

            values[i] = parameter.Type.Kind == TlTypeKind.True ? true : ReadValue(ref reader, parameter.Type, depth);
        }

        return new TlObject(combinator, values);
    }

    private object ReadValue(ref TlReader reader, TlTypeRef type, int depth) => type.Kind switch
    {
        TlTypeKind.Int or TlTypeKind.Flags => reader.ReadInt32(),
        TlTypeKind.Long => reader.ReadInt64(),
        TlTypeKind.Double => reader.ReadDouble(),
        TlTypeKind.Int128 => reader.ReadRaw(16).ToArray(),
        TlTypeKind.Int256 => reader.ReadRaw(32).ToArray(),
        TlTypeKind.String or TlTypeKind.Bytes => reader.ReadBytes().ToArray(),
        TlTypeKind.Bool => reader.ReadBool(),
        TlTypeKind.Vector => ReadVector(ref reader, type.Element!, boxed: true, depth),
        TlTypeKind.BareVector => ReadVector(ref reader, type.Element!, boxed: false, depth),
        TlTypeKind.Object => ReadBoxed(ref reader, null, depth),
        TlTypeKind.Query => ReadQuery(ref reader, depth),
        TlTypeKind.Boxed => ReadBoxed(ref reader, type.Name, depth),
        TlTypeKind.Bare => ReadFields(ref reader, type.BareConstructor!, depth + 1),
        _ => throw new InvalidOperationException($"Type kind {type.Kind} has no wire form."),
    };

    private IList ReadVector(ref TlReader reader, TlTypeRef element, bool boxed, int depth)
    {
        CheckDepth(depth + 1, reader.Position);
        int start = reader.Position;
        if (boxed && reader.ReadUInt32() is var id && id != TlSchema.VectorId)
        {
            throw new TlDecodeException(TlDecodeError.NotAVector, start, $"0x{id:x8} where a Vector was expected.");
        }

        int countAt = reader.Position;
        int count = reader.ReadInt32();
        // Bound the allocation by what the rest of the input could possibly hold.
        if (count < 0 || count > reader.Remaining / Math.Max(MinWireSize(element), 1))
        {
            throw new TlDecodeException(TlDecodeError.InvalidCount, countAt, $"vector count {count} with {reader.Remaining} bytes left.");
        }

        switch (element.Kind)
        {
            case TlTypeKind.Int:
                int[] ints = new int[count];
                for (int i = 0; i < count; i++)
                {
                    ints[i] = reader.ReadInt32();
                }

                return ints;
            case TlTypeKind.Long:
                long[] longs = new long[count];
                for (int i = 0; i < count; i++)
                {
                    longs[i] = reader.ReadInt64();
                }

                return longs;
            default:
                object?[] items = new object?[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = ReadValue(ref reader, element, depth + 1);
                }

                return items;
        }
    }

    private void CheckDepth(int depth, int offset)
    {
        if (depth > MaxDepth)
        {
            throw new TlDecodeException(TlDecodeError.TooDeep, offset, $"nesting deeper than {MaxDepth}.");
        }
    }

    private static bool IsFlagSet(object?[] values, TlParameter parameter) =>
        ((int)values[parameter.FlagsIndex]! & (1 << parameter.FlagBit)) != 0;

    /// <summary>The fewest bytes a value of <paramref name="type"/> can take on the wire.</summary>
    private int MinWireSize(TlTypeRef type) => type.Kind switch
    {
        TlTypeKind.Int or TlTypeKind.Flags or TlTypeKind.String or TlTypeKind.Bytes or TlTypeKind.Bool
            or TlTypeKind.Object or TlTypeKind.Query or TlTypeKind.Boxed or TlTypeKind.BareVector => 4,
        TlTypeKind.Long or TlTypeKind.Double or TlTypeKind.Vector => 8,
        TlTypeKind.Int128 => 16,
        TlTypeKind.Int256 => 32,
        TlTypeKind.Bare => MinBareSize(type.BareConstructor!),
        _ => 0,
    };

    private int MinBareSize(TlCombinator combinator)
    {
        if (_minBareSize.TryGetValue(combinator, out int size))
        {
            return size;
        }

        // Guard against a bare type that contains itself: count it as 0 while it is being measured.
        _minBareSize[combinator] = 0;
        size = combinator.Parameters.Where(p => !p.IsConditional).Sum(p => MinWireSize(p.Type));
        _minBareSize[combinator] = size;
        return size;
    }

    private void WriteFields(TlWriter writer, TlObject value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new TlEncodeException($"{value.Combinator.Name}: nesting deeper than {MaxDepth}.");
        }

        IReadOnlyList<TlParameter> parameters = value.Combinator.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            TlParameter parameter = parameters[i];
            object? field = value.Values[i];
            string path = $"{value.Combinator.Name}.{parameter.Name}";
            if (parameter.IsConditional)
            {
                bool set = value.Values[parameter.FlagsIndex] is int flags && (flags & (1 << parameter.FlagBit)) != 0;
                bool present = parameter.Type.Kind == TlTypeKind.True ? field is true : field is not null;
                if (set != present)
                {
                    throw new TlEncodeException($"{path}: flag bit {parameter.FlagBit} is {(set ? "set" : "clear")} but the value is {(present ? "present" : "absent")}.");
                }

                if (!set || parameter.Type.Kind == TlTypeKind.True)
                {
                    continue;
                }
            }

            WriteValue(writer, parameter.Type, field, path, depth);
        }
    }

    private void WriteValue(TlWriter writer, TlTypeRef type, object? value, string path, int depth)
    {
        switch (type.Kind, value)
        {
            case (TlTypeKind.Int or TlTypeKind.Flags, int v):
                writer.WriteInt32(v);
                break;
            case (TlTypeKind.Long, long v):
                writer.WriteInt64(v);
                break;
            case (TlTypeKind.Double, double v):
                writer.WriteDouble(v);
                break;
            case (TlTypeKind.Int128, byte[] { Length: 16 } v):
                writer.WriteRaw(v);
                break;
            case (TlTypeKind.Int256, byte[] { Length: 32 } v):
                writer.WriteRaw(v);
                break;
            case (TlTypeKind.String or TlTypeKind.Bytes, byte[] v):
                writer.WriteBytes(v);
                break;
            case (TlTypeKind.Bool, bool v):
                writer.WriteBool(v);
                break;
            case (TlTypeKind.Vector or TlTypeKind.BareVector, IList list) when value is not byte[]:
                if (type.Kind == TlTypeKind.Vector)
                {
                    writer.WriteUInt32(TlSchema.VectorId);
                }

                writer.WriteInt32(list.Count);
                for (int i = 0; i < list.Count; i++)
                {
                    WriteValue(writer, type.Element!, list[i], $"{path}[{i}]", depth + 1);
                }

                break;
            case (TlTypeKind.Object or TlTypeKind.Query, TlObject v) when type.Kind == TlTypeKind.Object || v.Combinator.IsFunction:
                writer.WriteUInt32(v.Combinator.Id);
                WriteFields(writer, v, depth + 1);
                break;
            case (TlTypeKind.Boxed, TlObject v) when !v.Combinator.IsFunction && v.Combinator.ResultType == type.Name:
                writer.WriteUInt32(v.Combinator.Id);
                WriteFields(writer, v, depth + 1);
                break;
            case (TlTypeKind.Bare, TlObject v) when v.Combinator == type.BareConstructor:
                WriteFields(writer, v, depth + 1);
                break;
            default:
                throw new TlEncodeException($"{path}: a {value?.GetType().Name ?? "null"} cannot be written as {type}.");
        }
    }
}
