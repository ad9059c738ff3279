using System.CommandLine;

namespace Testbed.Conformance.Harness;

/// <summary>The case filters of <c>run</c> and <c>list</c>, the same for the server and the client catalogues.</summary>
internal sealed record FilterOptions(Option<string[]> Ids, Option<string[]> Categories, Option<bool> MustOnly)
{
    /// <summary>The options, with <paramref name="example"/> ids and the catalogue's <paramref name="categories"/> in their help.</summary>
    public static FilterOptions Create(string example = "ENV-*, HSK-00?",
        string categories = "handshake, envelope, msgid, seqno, session, service, transport, robustness, timing") => new(
        new Option<string[]>("--id") { Description = $"Case ids or globs ({example}); repeatable", AllowMultipleArgumentsPerToken = true },
        new Option<string[]>("--category") { Description = $"{categories}; repeatable" },
        new Option<bool>("--must-only") { Description = "Only MUST requirements" });

    /// <summary>The cases of <paramref name="all"/> the command line selects.</summary>
    public IEnumerable<T> Select<T>(ParseResult parse, IEnumerable<T> all) where T : ICatalogCase =>
        Filter(all, parse.GetValue(Ids) ?? [], parse.GetValue(Categories) ?? [], parse.GetValue(MustOnly));

    public static IEnumerable<T> Filter<T>(IEnumerable<T> all, IReadOnlyCollection<string> idGlobs, IReadOnlyCollection<string> categories,
        bool mustOnly) where T : ICatalogCase =>
        all.Where(c => (idGlobs.Count == 0 || idGlobs.Any(g => CaseIdGlob.Matches(g, c.Id)))
            && (categories.Count == 0 || categories.Contains(c.Category, StringComparer.OrdinalIgnoreCase))
            && (!mustOnly || c.Level == RequirementLevel.Must));
}
