using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Testbed.Conformance.Vectors.Algorithms;

namespace Testbed.Conformance.Vectors;

/// <summary>
/// Finds, validates and checks vector files: the JSON schema (vectors/schema.json), a known algorithm, sources that
/// exist, the algorithm's fields, and ids unique across everything loaded. Any of these wrong is a
/// <see cref="VectorFormatException"/>, so a malformed file never counts as a test failure or a pass.
/// </summary>
public static class VectorCatalog
{
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    private static readonly IReadOnlyDictionary<string, IVectorAlgorithm> Algorithms = new IVectorAlgorithm[]
    {
        new AesIgeVectors(), new KdfVectors(), new AuthKeyIdVectors(), new TmpAesKeyVectors(), new ObfuscationVectors(), new DhParamsVectors(),
        new AuthKeyCreationVectors(), new EnvelopeVectors(), new RsaFingerprintVectors(),
    }.ToDictionary(a => a.Name);

    /// <summary>The algorithm names a vector file may use.</summary>
    public static IEnumerable<string> AlgorithmNames => Algorithms.Keys;

    /// <summary>
    /// Loads the files named, and every <c>*.json</c> except schema.json under the directories named
    /// (sorted, so ids and output are stable).
    /// </summary>
    /// <exception cref="VectorFormatException">A path is missing, or a file does not follow the schema.</exception>
    public static IReadOnlyList<VectorFile> Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<VectorFile>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in paths.SelectMany(Expand))
        {
            VectorFile loaded = LoadFile(file);
            foreach (VectorTest test in loaded.Tests)
            {
                if (!ids.TryAdd(test.Id, file))
                {
                    throw new VectorFormatException($"{file}: test id '{test.Id}' is already used in {ids[test.Id]}; ids must be unique.");
                }
            }

            files.Add(loaded);
        }

        return files;
    }

    /// <summary>Checks one test against Testbed.Protocol. An exception inside the check is a failure, not a crash.</summary>
    public static VectorOutcome Check(VectorTest test)
    {
        ArgumentNullException.ThrowIfNull(test);
        try
        {
            return Algorithms[test.Algorithm].Check(test);
        }
        catch (VectorFormatException)
        {
            throw;
        }
#pragma warning disable CA1031 // A vector that makes the implementation throw is reported as that vector's failure.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return VectorOutcome.Fail($"{e.GetType().Name}: {e.Message}");
        }
    }

    private static IEnumerable<string> Expand(string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).Equals("schema.json", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal);
        }

        return File.Exists(path) ? [path] : throw new VectorFormatException($"{path}: no such file or directory.");
    }

    private static VectorFile LoadFile(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new VectorFormatException($"{path}: not valid JSON: {e.Message}", e);
        }

        if (root is null)
        {
            throw new VectorFormatException($"{path}: empty document.");
        }

        EvaluationResults results = Schema.Value.Evaluate(JsonSerializer.SerializeToElement(root),
            new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            string problems = string.Join("; ", (results.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))
                .Distinct()
                .Take(5));
            throw new VectorFormatException($"{path}: does not follow vectors/schema.json: {problems}");
        }

        string algorithmName = (string)root["algorithm"]!;
        if (!Algorithms.TryGetValue(algorithmName, out IVectorAlgorithm? algorithm))
        {
            throw new VectorFormatException(
                $"{path}: unknown algorithm '{algorithmName}'; known: {string.Join(", ", Algorithms.Keys.Order(StringComparer.Ordinal))}.");
        }

        var sources = root["sources"]!.AsArray().Select(s => (string)s!["id"]!).ToHashSet(StringComparer.Ordinal);
        var groups = new List<IReadOnlyList<VectorTest>>();
        JsonArray groupNodes = root["testGroups"]!.AsArray();
        for (int g = 0; g < groupNodes.Count; g++)
        {
            JsonObject group = groupNodes[g]!.AsObject();
            string source = (string)group["source"]!;
            if (!sources.Contains(source))
            {
                throw new VectorFormatException($"{path}: test group {g + 1} names source '{source}', which the file's sources do not list.");
            }

            var tests = group["tests"]!.AsArray().Select(t => new VectorTest(path, algorithmName, g, group, t!.AsObject())).ToList();
            tests.ForEach(t => t.Validate(algorithm.Fields));
            groups.Add(tests);
        }

        return new VectorFile(path, algorithmName, groups);
    }

    private static JsonSchema LoadSchema()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Testbed.Conformance.vectors.schema.json")
            ?? throw new InvalidOperationException("The vector schema is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromText(reader.ReadToEnd());
    }
}
