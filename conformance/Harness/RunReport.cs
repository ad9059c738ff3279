using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Spectre.Console;

namespace Testbed.Conformance.Harness;

/// <summary>
/// A finished run and its four renderings: the console summary (failures first, with evidence), JSON
/// (schemas/report.schema.json, versioned), JUnit XML (schemas/junit.xsd) and Markdown.
/// </summary>
internal sealed record RunReport(string Target, DateTimeOffset StartedAt, TimeSpan Duration, IReadOnlyList<ICaseResult> Results)
{
    /// <summary>The suite's name in the console, JUnit and Markdown renderings ("MTProto 2.0 client conformance").</summary>
    public string Suite { get; init; } = "MTProto 2.0 conformance";

    public const int SchemaVersion = 1;

    public static string ToolVersion { get; } =
        typeof(RunReport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public int Mismatches => Results.Count(r => !r.AsExpected);

    private static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        _ => "not-applicable",
    };

    public void WriteConsole(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"{Suite}, {Results.Count} cases against {Target} in {Duration.TotalSeconds:F1} s");
        var table = new Table().AddColumns("category", "pass", "fail", "not applicable", "not as expected");
        foreach (IGrouping<string, ICaseResult> category in Results.GroupBy(r => r.Case.Category))
        {
            int mismatches = category.Count(r => !r.AsExpected);
            table.AddRow(category.Key, Count(category, Verdict.Pass), Count(category, Verdict.Fail), Count(category, Verdict.NotApplicable),
                mismatches == 0 ? "0" : $"[red]{mismatches}[/]");
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
        });
        console.Write(table);

        foreach (ICaseResult result in Results.OrderBy(r => r.AsExpected).ThenBy(r => r.Case.Id, StringComparer.Ordinal)
                     .Where(r => !r.AsExpected || r.Verdict != Verdict.Pass))
        {
            string tag = result switch
            {
                { AsExpected: false, ExpectedFailure: not null } => "UNEXPECTED PASS",
                { AsExpected: false } => "FAIL",
                { Verdict: Verdict.Fail } => "expected fail",
                _ => "n/a",
            };
            output.WriteLine($"{tag,-15} {result.Case.Id} [{result.Case.Level.ToString().ToUpperInvariant()}] {result.Case.Requirement}");
            output.WriteLine($"{"",15} sent: {result.Case.Sends}; expected: {result.Case.Expects}");
            output.WriteLine($"{"",15} found: {result.Evidence}");
            if (result.ExpectedFailure is { } reason)
            {
                output.WriteLine($"{"",15} expectation: {reason}");
            }
        }

        output.WriteLine($"summary: {Results.Count(r => r.Verdict == Verdict.Pass)} pass, {Results.Count(r => r.Verdict == Verdict.Fail)} fail, "
            + $"{Results.Count(r => r.Verdict == Verdict.NotApplicable)} not applicable; {Mismatches} not as expected");
    }

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["schemaVersion"] = SchemaVersion,
            ["tool"] = "testbed-conformance",
            ["toolVersion"] = ToolVersion,
            ["target"] = Target,
            ["startedAt"] = StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["durationMs"] = Math.Round(Duration.TotalMilliseconds),
            ["summary"] = new JsonObject
            {
                ["pass"] = Results.Count(r => r.Verdict == Verdict.Pass),
                ["fail"] = Results.Count(r => r.Verdict == Verdict.Fail),
                ["notApplicable"] = Results.Count(r => r.Verdict == Verdict.NotApplicable),
                ["notAsExpected"] = Mismatches,
            },
            ["cases"] = new JsonArray([.. Results.Select(r => (JsonNode)new JsonObject
            {
                ["id"] = r.Case.Id,
                ["category"] = r.Case.Category,
                ["level"] = r.Case.Level == RequirementLevel.Must ? "MUST" : "SHOULD",
                ["requirement"] = r.Case.Requirement,
                ["reference"] = r.Case.Reference,
                ["verdict"] = VerdictName(r.Verdict),
                ["expectedFailure"] = r.ExpectedFailure,
                ["asExpected"] = r.AsExpected,
                ["durationMs"] = Math.Round(r.Duration.TotalMilliseconds, 1),
                ["sent"] = r.Case.Sends,
                ["expected"] = r.Case.Expects,
                ["evidence"] = r.Evidence,
            })]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public string ToJUnit()
    {
        var suites = new XElement("testsuites",
            new XAttribute("name", Suite),
            new XAttribute("tests", Results.Count),
            new XAttribute("failures", Mismatches),
            new XAttribute("time", Seconds(Duration)),
            Results.GroupBy(r => r.Case.Category).Select(category => new XElement("testsuite",
                new XAttribute("name", category.Key),
                new XAttribute("tests", category.Count()),
                new XAttribute("failures", category.Count(r => !r.AsExpected)),
                new XAttribute("skipped", category.Count(r => r.Verdict == Verdict.NotApplicable)),
                new XAttribute("time", Seconds(TimeSpan.FromTicks(category.Sum(r => r.Duration.Ticks)))),
                category.Select(r => new XElement("testcase",
                    new XAttribute("classname", $"conformance.{r.Case.Category}"),
                    new XAttribute("name", $"{r.Case.Id} {r.Case.Requirement}"),
                    new XAttribute("time", Seconds(r.Duration)),
                    r switch
                    {
                        { AsExpected: false } => new XElement("failure", new XAttribute("message",
                            r.ExpectedFailure is null ? r.Evidence : $"expected to fail ({r.ExpectedFailure}) but passed"), r.Evidence),
                        { Verdict: Verdict.NotApplicable } => new XElement("skipped", new XAttribute("message", r.Evidence)),
                        _ => new XElement("system-out", r.Evidence),
                    })))));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).ToString();
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {Suite} report");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Target `{Target}`, {StartedAt:u}, {Results.Count} cases in {Duration.TotalSeconds:F1} s, "
            + $"testbed-conformance {ToolVersion}.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**{Results.Count(r => r.Verdict == Verdict.Pass)} pass, {Results.Count(r => r.Verdict == Verdict.Fail)} fail, "
            + $"{Results.Count(r => r.Verdict == Verdict.NotApplicable)} not applicable; {Mismatches} not as expected.**");
        text.AppendLine();
        text.AppendLine("| case | level | verdict | requirement | evidence |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (ICaseResult r in Results.OrderBy(r => r.Verdict != Verdict.Fail).ThenBy(r => r.Case.Id, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Case.Id} | {(r.Case.Level == RequirementLevel.Must ? "MUST" : "SHOULD")} | {VerdictName(r.Verdict)}{(r.ExpectedFailure is null ? "" : " (expected)")} "
                + $"| {Cell(r.Case.Requirement)} ({r.Case.Reference}) | {Cell(r.Evidence)} |");
        }

        return text.ToString();
    }

    private static string Count(IEnumerable<ICaseResult> results, Verdict verdict) =>
        results.Count(r => r.Verdict == verdict).ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
