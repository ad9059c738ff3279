using System.Collections.Frozen;
using System.Reflection;

namespace Testbed.Protocol.Tl;

/// <summary>
/// A resolved TL schema: its combinators by id and by name, and the constructors of each boxed type. Immutable and
/// thread-safe once built.
/// </summary>
public sealed class TlSchema
{
    /// <summary>vector#1cb5c415: the constructor id in front of a boxed vector.</summary>
    public const uint VectorId = 0x1cb5c415;

    /// <summary>boolTrue#997275b5.</summary>
    public const uint BoolTrueId = 0x997275b5;

    /// <summary>boolFalse#bc799737.</summary>
    public const uint BoolFalseId = 0xbc799737;

    private static readonly Lazy<TlSchema> LazyMTProto = new(() => Parse(ReadEmbedded("mtproto.tl"), "mtproto.tl"));

    // What the reference server speaks: MTProto, the chat layer, and the API wrappers and help functions real clients send.
    private static readonly string[] TestbedFiles = ["mtproto.tl", "chat.tl", "api-wrappers.tl", "api-help.tl", "api-updates.tl"];
    private static readonly Lazy<TlSchema> LazyTestbed = new(() => Parse(TestbedText, string.Join('+', TestbedFiles)));

    private readonly FrozenDictionary<uint, TlCombinator> _byId;
    private readonly FrozenDictionary<string, TlCombinator> _byName;
    private readonly FrozenDictionary<string, TlCombinator[]> _byType;

    private TlSchema(IReadOnlyList<TlCombinator> combinators)
    {
        Combinators = combinators;
        _byName = Unique(combinators, c => c.Name, "name");
        _byType = combinators.Where(c => !c.IsFunction).GroupBy(c => c.ResultType)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        foreach (TlCombinator combinator in combinators)
        {
            foreach (TlParameter parameter in combinator.Parameters)
            {
                Resolve(parameter.Type, combinator);
            }
        }

        foreach (TlCombinator combinator in combinators)
        {
            combinator.Id = combinator.DeclaredId ?? combinator.ComputedId;
            if (combinator.Id is VectorId or BoolTrueId or BoolFalseId)
            {
                throw new TlSchemaException($"{combinator} takes the id of a built-in type.");
            }
        }

        _byId = Unique(combinators, c => c.Id, "id");
    }

    /// <summary>The MTProto handshake and service-message schema shipped with this library (Tl/Schema/mtproto.tl).</summary>
    public static TlSchema MTProto => LazyMTProto.Value;

    /// <summary>The MTProto schema text shipped with this library.</summary>
    public static string MTProtoText => ReadEmbedded("mtproto.tl");

    /// <summary>
    /// The MTProto schema plus the testbed's chat layer (Tl/Schema/chat.tl) and the parts of the Telegram API real
    /// clients send first (Tl/Schema/api-wrappers.tl, api-help.tl): what the reference server speaks.
    /// </summary>
    public static TlSchema Testbed => LazyTestbed.Value;

    /// <summary>Everything <see cref="Testbed"/> is made of, the files one after the other (the reference server's GET /schema/testbed.tl).</summary>
    public static string TestbedText => string.Join('\n', TestbedFiles.Select(ReadEmbedded));

    /// <summary>The chat-layer schema text shipped with this library.</summary>
    public static string ChatText => ReadEmbedded("chat.tl");

    /// <summary>Every combinator, in schema order.</summary>
    public IReadOnlyList<TlCombinator> Combinators { get; }

    /// <summary>Parses and resolves schema text (several files may be concatenated).</summary>
    /// <exception cref="TlSchemaException">A line cannot be read, a type is unknown, or a name or id repeats.</exception>
    public static TlSchema Parse(string text, string sourceName = "schema")
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TlSchema(TlSchemaParser.Parse(text, sourceName));
    }

    /// <summary>Finds a combinator by constructor id.</summary>
    public bool TryGet(uint id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TlCombinator? combinator) =>
        _byId.TryGetValue(id, out combinator);

    /// <summary>The combinator called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such combinator.</exception>
    public TlCombinator this[string name] =>
        _byName.TryGetValue(name, out TlCombinator? combinator)
            ? combinator
            : throw new KeyNotFoundException($"The schema has no combinator '{name}'.");

    /// <summary>The constructors of boxed type <paramref name="typeName"/> (empty if none).</summary>
    public IReadOnlyList<TlCombinator> ConstructorsOf(string typeName) =>
        _byType.TryGetValue(typeName, out TlCombinator[]? constructors) ? constructors : [];

    private void Resolve(TlTypeRef type, TlCombinator owner)
    {
        switch (type.Kind)
        {
            case TlTypeKind.Vector or TlTypeKind.BareVector:
                Resolve(type.Element!, owner);
                break;
            case TlTypeKind.Boxed when !_byType.ContainsKey(type.Name):
                throw new TlSchemaException($"{owner.Name}: type '{type.Name}' has no constructor in the schema.");
            case TlTypeKind.Bare:
                type.BareConstructor = ResolveBare(type.Name, owner);
                break;
        }
    }

    private TlCombinator ResolveBare(string name, TlCombinator owner)
    {
        if (name.StartsWith('%'))
        {
            TlCombinator[] constructors = _byType.GetValueOrDefault(name[1..]) ?? [];
            return constructors.Length == 1
                ? constructors[0]
                : throw new TlSchemaException($"{owner.Name}: bare '{name}' needs a type with exactly one constructor, it has {constructors.Length}.");
        }

        return _byName.TryGetValue(name, out TlCombinator? constructor) && !constructor.IsFunction
            ? constructor
            : throw new TlSchemaException($"{owner.Name}: bare type '{name}' names no constructor.");
    }

    private static FrozenDictionary<TKey, TlCombinator> Unique<TKey>(IEnumerable<TlCombinator> combinators,
        Func<TlCombinator, TKey> key, string what)
        where TKey : notnull
    {
        var map = new Dictionary<TKey, TlCombinator>();
        foreach (TlCombinator combinator in combinators)
        {
            if (!map.TryAdd(key(combinator), combinator))
            {
                throw new TlSchemaException($"{combinator.Name} repeats the {what} of {map[key(combinator)].Name}.");
            }
        }

        return map.ToFrozenDictionary();
    }

    private static string ReadEmbedded(string fileName)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Testbed.Protocol.Tl.Schema." + fileName)
            ?? throw new InvalidOperationException($"Embedded schema {fileName} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
