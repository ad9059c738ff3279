using System.Globalization;
using System.Text.RegularExpressions;

namespace Testbed.Protocol.Tl;

/// <summary>
/// Parses the subset of the TL language that MTProto schemas use (docs/protocol.md §4.1): one combinator per line,
/// <c>name#id field:type ... = Type;</c>, <c>---functions---</c> / <c>---types---</c> section markers, <c>//</c>
/// comments, flags (<c>flags:#</c>, <c>field:flags.N?type</c>), <c>Vector&lt;t&gt;</c>, <c>vector&lt;t&gt;</c> and
/// <c>%Type</c>, and the one generic form the API wrappers use: <c>{X:Type}</c> with a field <c>query:!X</c> and result
/// <c>X</c> (invokeWithLayer and the like; read as any boxed function). Declarations of built-in types are skipped;
/// any other generic combinator is refused.
/// </summary>
internal static partial class TlSchemaParser
{
    // The type variable of the API wrappers (invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X).
    private const string GenericDeclaration = "{X:Type}";

    // Declarations of the built-in types, as they appear in the official schema files.
    private static readonly HashSet<string> BuiltinDeclarations =
        ["int", "long", "double", "string", "bytes", "int128", "int256", "vector", "boolFalse", "boolTrue", "true", "null"];

    [GeneratedRegex(@"^(?<name>[a-zA-Z][\w.]*)(?:#(?<id>[0-9a-fA-F]{1,8}))?(?<params>(?:\s+[^=]+?)?)\s*=\s*(?<result>[A-Za-z][\w.]*)\s*;$")]
    private static partial Regex CombinatorPattern();

    [GeneratedRegex(@"^(?<name>\w+):(?:(?<flags>\w+)\.(?<bit>\d+)\?)?(?<type>[%\w.<>#]+|!X)$")]
    private static partial Regex ParameterPattern();

    public static List<TlCombinator> Parse(string text, string sourceName)
    {
        var combinators = new List<TlCombinator>();
        bool functions = false;
        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = StripComment(rawLine).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "---functions---" || line == "---types---")
            {
                functions = line == "---functions---";
                continue;
            }

            TlCombinator? combinator = ParseLine(line, functions, $"{sourceName}:{lineNumber}");
            if (combinator is not null)
            {
                combinators.Add(combinator);
            }
        }

        return combinators;
    }

    private static string StripComment(string line)
    {
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }

    private static TlCombinator? ParseLine(string line, bool isFunction, string where)
    {
        string name = line.Split(['#', ' ', '?', '='], 2)[0];
        if (BuiltinDeclarations.Contains(name) || line.Contains(" ? =", StringComparison.Ordinal))
        {
            return null;
        }

        bool generic = line.Contains(GenericDeclaration, StringComparison.Ordinal) && isFunction && line.EndsWith(" = X;", StringComparison.Ordinal);
        if ((generic ? line.Replace(GenericDeclaration, "", StringComparison.Ordinal) : line).Contains('{', StringComparison.Ordinal))
        {
            throw new TlSchemaException($"{where}: generic combinators other than a function's {GenericDeclaration} ... query:!X = X are not supported: {line}");
        }

        Match match = CombinatorPattern().Match(generic ? line.Replace(" " + GenericDeclaration, "", StringComparison.Ordinal) : line);
        if (!match.Success)
        {
            throw new TlSchemaException($"{where}: not a combinator declaration: {line}");
        }

        uint? id = match.Groups["id"].Success
            ? uint.Parse(match.Groups["id"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : null;
        var parameters = new List<TlParameter>();
        foreach (string token in match.Groups["params"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            parameters.Add(ParseParameter(token, parameters, where));
        }

        return new TlCombinator(match.Groups["name"].Value, id, parameters, match.Groups["result"].Value, isFunction) { IsGeneric = generic };
    }

    private static TlParameter ParseParameter(string token, List<TlParameter> earlier, string where)
    {
        Match match = ParameterPattern().Match(token);
        if (!match.Success)
        {
            throw new TlSchemaException($"{where}: cannot read parameter '{token}'.");
        }

        int flagsIndex = -1;
        int bit = -1;
        if (match.Groups["flags"].Success)
        {
            string flagsName = match.Groups["flags"].Value;
            flagsIndex = earlier.FindIndex(p => p.Name == flagsName && p.Type.Kind == TlTypeKind.Flags);
            bit = int.Parse(match.Groups["bit"].Value, CultureInfo.InvariantCulture);
            if (flagsIndex < 0 || bit > 31)
            {
                throw new TlSchemaException($"{where}: '{token}' refers to no earlier flags field '{flagsName}' or to a bit above 31.");
            }
        }

        TlTypeRef type = ParseType(match.Groups["type"].Value, where);
        if (type.Kind == TlTypeKind.True && flagsIndex < 0)
        {
            throw new TlSchemaException($"{where}: a 'true' field must be conditional: '{token}'.");
        }

        return new TlParameter(match.Groups["name"].Value, type, flagsIndex, bit);
    }

    internal static TlTypeRef ParseType(string text, string where)
    {
        if (text.EndsWith('>'))
        {
            int open = text.IndexOf('<', StringComparison.Ordinal);
            string outer = open > 0 ? text[..open] : "";
            TlTypeKind kind = outer switch
            {
                "Vector" => TlTypeKind.Vector,
                "vector" => TlTypeKind.BareVector,
                _ => throw new TlSchemaException($"{where}: unknown generic type '{text}'."),
            };
            return new TlTypeRef(kind, outer, ParseType(text[(open + 1)..^1], where));
        }

        return text switch
        {
            "int" => new TlTypeRef(TlTypeKind.Int, text),
            "long" => new TlTypeRef(TlTypeKind.Long, text),
            "double" => new TlTypeRef(TlTypeKind.Double, text),
            "int128" => new TlTypeRef(TlTypeKind.Int128, text),
            "int256" => new TlTypeRef(TlTypeKind.Int256, text),
            "string" => new TlTypeRef(TlTypeKind.String, text),
            "bytes" => new TlTypeRef(TlTypeKind.Bytes, text),
            "Bool" => new TlTypeRef(TlTypeKind.Bool, text),
            "true" => new TlTypeRef(TlTypeKind.True, text),
            "#" => new TlTypeRef(TlTypeKind.Flags, text),
            "Object" => new TlTypeRef(TlTypeKind.Object, text),
            "!X" => new TlTypeRef(TlTypeKind.Query, text),
            _ when text.StartsWith('%') => new TlTypeRef(TlTypeKind.Bare, text),
            // In a namespaced name (chat.User) the case after the last dot decides bare or boxed.
            _ when char.IsLower(text[text.LastIndexOf('.') + 1]) => new TlTypeRef(TlTypeKind.Bare, text),
            _ => new TlTypeRef(TlTypeKind.Boxed, text),
        };
    }
}
