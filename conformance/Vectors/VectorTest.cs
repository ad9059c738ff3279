using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;

namespace Testbed.Conformance.Vectors;

/// <summary>One test of a vector file, with its group's shared fields.</summary>
public sealed class VectorTest
{
    private readonly JsonObject _test;
    private readonly JsonObject _group;

    internal VectorTest(string file, string algorithm, int groupIndex, JsonObject group, JsonObject test)
    {
        File = file;
        Algorithm = algorithm;
        GroupIndex = groupIndex;
        _group = group;
        _test = test;
        Id = (string)test["id"]!;
        Comment = (string)test["comment"]!;
        Flags = test["flags"]!.AsArray().Select(f => (string)f!).ToArray();
        ExpectValid = (string)test["result"]! == "valid";
        Reason = (string?)test["reason"];
    }

    /// <summary>The file the test came from.</summary>
    public string File { get; }

    /// <summary>The file's algorithm.</summary>
    public string Algorithm { get; }

    /// <summary>Index of the test's group in the file.</summary>
    public int GroupIndex { get; }

    /// <summary>The stable id.</summary>
    public string Id { get; }

    /// <summary>What the test is about.</summary>
    public string Comment { get; }

    /// <summary>Flags, explained in the file's notes.</summary>
    public IReadOnlyList<string> Flags { get; }

    /// <summary>Whether the result is "valid".</summary>
    public bool ExpectValid { get; }

    /// <summary>For an invalid test: the expected diagnostic reason, if the file names one.</summary>
    public string? Reason { get; }

    /// <inheritdoc />
    public override string ToString() => Id;

    /// <summary>Whether the test or its group has <paramref name="name"/>.</summary>
    public bool Has(string name) => Field(name) is not null;

    /// <summary>A hex field as bytes.</summary>
    public byte[] Hex(string name) => Convert.FromHexString(Text(name));

    /// <summary>An integer field.</summary>
    public int Integer(string name) => (int)Required(name);

    /// <summary>A decimal-string field.</summary>
    public BigInteger Decimal(string name) => BigInteger.Parse(Text(name), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>A text field.</summary>
    public string Text(string name) => (string)Required(name)!;

    /// <summary>Checks that every field <paramref name="fields"/> lists is present and well formed.</summary>
    internal void Validate(IEnumerable<VectorField> fields)
    {
        foreach (VectorField field in fields)
        {
            if (field.OnlyForValid && !ExpectValid)
            {
                continue;
            }

            JsonNode? node = Field(field.Name);
            if (node is null)
            {
                throw Error($"missing field '{field.Name}', which {Algorithm} needs.");
            }

            bool ok = field.Kind switch
            {
                VectorFieldKind.Hex => node is JsonValue v && v.TryGetValue(out string? s) && IsHex(s),
                VectorFieldKind.Integer => node is JsonValue v && v.TryGetValue(out int _),
                VectorFieldKind.Decimal => node is JsonValue v && v.TryGetValue(out string? s)
                    && BigInteger.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _),
                _ => node is JsonValue v && v.TryGetValue(out string? _),
            };
            if (!ok)
            {
                throw Error($"field '{field.Name}' must be {Describe(field.Kind)}.");
            }
        }
    }

    internal VectorFormatException Error(string message) => new($"{File}: test {Id}: {message}");

    private JsonNode? Field(string name) => _test[name] ?? _group[name];

    private JsonNode Required(string name) => Field(name) ?? throw Error($"missing field '{name}'.");

    private static bool IsHex(string? text) => text is not null && text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit);

    private static string Describe(VectorFieldKind kind) => kind switch
    {
        VectorFieldKind.Hex => "a string of hex digits of even length",
        VectorFieldKind.Integer => "a JSON integer",
        VectorFieldKind.Decimal => "a string of decimal digits",
        _ => "a string",
    };
}
