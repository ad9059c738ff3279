using System.Collections;
using System.Text;

namespace Testbed.Protocol.Tl;

/// <summary>
/// A TL object: a combinator and one value per parameter, in order. Values are <see cref="int"/> (int, #),
/// <see cref="long"/>, <see cref="double"/>, <c>byte[]</c> (string, bytes, int128, int256), <see cref="bool"/>
/// (Bool, true), <see cref="TlObject"/> (boxed, bare, Object), a list (vectors: <c>int[]</c> and <c>long[]</c> for
/// those element types when read, any <see cref="IList"/> when written), and null for an absent conditional field.
/// Equality is structural.
/// </summary>
public sealed class TlObject : IEquatable<TlObject>
{
    private readonly object?[] _values;

    /// <summary>Creates an object; <paramref name="values"/> are in parameter order.</summary>
    /// <exception cref="ArgumentException">The number of values differs from the number of parameters.</exception>
    public TlObject(TlCombinator combinator, params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(combinator);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != combinator.Parameters.Count)
        {
            throw new ArgumentException(
                $"{combinator.Name} has {combinator.Parameters.Count} parameters, {values.Length} values given.", nameof(values));
        }

        Combinator = combinator;
        _values = values;
    }

    /// <summary>The constructor or function.</summary>
    public TlCombinator Combinator { get; }

    /// <summary>The values, in parameter order.</summary>
    public IReadOnlyList<object?> Values => _values;

    /// <summary>The value of the parameter called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such parameter.</exception>
    public object? this[string name]
    {
        get
        {
            int index = Combinator.IndexOf(name);
            return index >= 0
                ? _values[index]
                : throw new KeyNotFoundException($"{Combinator.Name} has no parameter '{name}'.");
        }
    }

    /// <summary>The value of <paramref name="name"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidCastException">The value is of another type (or absent).</exception>
    public T Get<T>(string name) => this[name] is T value
        ? value
        : throw new InvalidCastException($"{Combinator.Name}.{name} is not a {typeof(T).Name}.");

    /// <summary>A copy with one parameter's value replaced (negative tests build defective objects this way).</summary>
    /// <exception cref="KeyNotFoundException">No such parameter.</exception>
    public TlObject With(string name, object? value)
    {
        int index = Combinator.IndexOf(name);
        if (index < 0)
        {
            throw new KeyNotFoundException($"{Combinator.Name} has no parameter '{name}'.");
        }

        object?[] values = (object?[])_values.Clone();
        values[index] = value;
        return new TlObject(Combinator, values);
    }

    /// <summary>Deep equality of two TL values (see the class remarks for the value types).</summary>
    public static bool ValueEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
        (TlObject x, TlObject y) => x.Equals(y),
        (IList x, IList y) => ListEquals(x, y),
        _ => a.Equals(b),
    };

    /// <inheritdoc />
    public bool Equals(TlObject? other)
    {
        if (other is null || other.Combinator.Id != Combinator.Id)
        {
            return false;
        }

        for (int i = 0; i < _values.Length; i++)
        {
            if (!ValueEquals(_values[i], other._values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TlObject other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Combinator.Id, _values.Length);

    /// <summary>A readable rendering, such as <c>ping{ping_id=5}</c>; bytes as hex.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Combinator.Name).Append('{');
        for (int i = 0; i < _values.Length; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(Combinator.Parameters[i].Name).Append('=');
            AppendValue(text, _values[i]);
        }

        return text.Append('}').ToString();
    }

    private static void AppendValue(StringBuilder text, object? value)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                break;
            case byte[] bytes:
                text.Append(Convert.ToHexStringLower(bytes));
                break;
            case IList list:
                text.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    AppendValue(text, list[i]);
                }

                text.Append(']');
                break;
            default:
                text.Append(value);
                break;
        }
    }

    private static bool ListEquals(IList x, IList y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (!ValueEquals(x[i], y[i]))
            {
                return false;
            }
        }

        return true;
    }
}
