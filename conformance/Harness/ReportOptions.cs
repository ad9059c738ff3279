using System.CommandLine;

namespace Testbed.Conformance.Harness;

/// <summary>The options of <c>run</c> and <c>client run</c> for the expectations file and the three report files.</summary>
internal sealed record ReportOptions(Option<string?> Expect, Option<string?> Json, Option<string?> Junit, Option<string?> Markdown)
{
    public static ReportOptions Create() => new(
        new Option<string?>("--expect") { Description = "A file of case ids expected to fail, each with a reason" },
        new Option<string?>("--json") { Description = "Write the JSON report here" },
        new Option<string?>("--junit") { Description = "Write a JUnit XML report here" },
        new Option<string?>("--markdown") { Description = "Write a Markdown report here" });

    /// <summary>Adds the four options to <paramref name="command"/> and returns it.</summary>
    public Command AddTo(Command command)
    {
        foreach (Option option in (Option[])[Expect, Json, Junit, Markdown])
        {
            command.Options.Add(option);
        }

        return command;
    }

    /// <summary>The expectations file, read before anything runs (a wrong file is reported first); none when not given.</summary>
    public async Task<Expectations> ReadExpectationsAsync(ParseResult parse, CancellationToken cancel) =>
        parse.GetValue(Expect) is { } file ? Expectations.Parse(await InputFile.ReadTextAsync("--expect", file, cancel), file) : Expectations.None;

    /// <summary>Writes the report files that were asked for.</summary>
    public async Task WriteAsync(ParseResult parse, RunReport report, CancellationToken cancel)
    {
        foreach ((Option<string?> option, Func<string> render) in new (Option<string?>, Func<string>)[]
                 {
                     (Json, report.ToJson), (Junit, report.ToJUnit), (Markdown, report.ToMarkdown),
                 })
        {
            if (parse.GetValue(option) is { } path)
            {
                await File.WriteAllTextAsync(path, render(), cancel);
            }
        }
    }
}
