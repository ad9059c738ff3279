using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace Testbed.Conformance.ClientSuite;

/// <summary>
/// <c>client table --report F …</c>: the README's client matrix (client × category: pass / fail / n.a.) and its
/// findings (every failure with its evidence), made from the JSON reports of <c>client run</c>, so that what the README
/// says is the output of a run.
/// </summary>
internal static class ClientTable
{
    private static readonly string[] Categories = ["handshake", "envelope", "msgid", "seqno", "service", "resend", "transport"];

    public static Command Create()
    {
        var reports = new Option<string[]>("--report") { Description = "JSON reports of client run; repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("table", "Print the client matrix and the findings (Markdown) from client run's JSON reports.") { reports };
        command.SetAction(parse =>
        {
            try
            {
                parse.InvocationConfiguration.Output.Write(Render(parse.GetValue(reports)!.Select(File.ReadAllText)));
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: a report cannot be read: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    public static string Render(IEnumerable<string> jsonReports)
    {
        var matrix = new StringBuilder($"| client | {string.Join(" | ", Categories)} | all |\n|---|{string.Concat(Categories.Select(_ => "---|"))}---|\n");
        var findings = new StringBuilder("| client | case | level | what the client did |\n|---|---|---|---|\n");
        foreach (string json in jsonReports)
        {
            using var report = JsonDocument.Parse(json);
            string client = report.RootElement.GetProperty("target").GetString()!.Split(" (")[0];
            JsonElement[] cases = [.. report.RootElement.GetProperty("cases").EnumerateArray()];
            matrix.Append($"| {client} | {string.Join(" | ", Categories.Select(c => Counts(cases.Where(x => x.GetProperty("category").GetString() == c))))} | {Counts(cases)} |\n");
            foreach (JsonElement failure in cases.Where(c => c.GetProperty("verdict").GetString() == "fail"))
            {
                string evidence = failure.GetProperty("evidence").GetString()!;
                findings.Append($"| {client} | {failure.GetProperty("id").GetString()} {failure.GetProperty("requirement").GetString()!.Replace("|", "\\|", StringComparison.Ordinal)} "
                    + $"| {failure.GetProperty("level").GetString()} | {What(evidence).Replace("|", "\\|", StringComparison.Ordinal)} |\n");
            }
        }

        return $"{matrix}\n(pass / fail / not applicable)\n\n{findings}";
    }

    private static string Counts(IEnumerable<JsonElement> cases)
    {
        string[] verdicts = [.. cases.Select(c => c.GetProperty("verdict").GetString()!)];
        return $"{verdicts.Count(v => v == "pass")} / {verdicts.Count(v => v == "fail")} / {verdicts.Count(v => v == "not-applicable")}";
    }

    /// <summary>The evidence's own finding, without the run summary every evidence ends with; a crash's message kept.</summary>
    private static string What(string evidence)
    {
        int summary = evidence.IndexOf(" connection(s) [", StringComparison.Ordinal);
        string what = summary < 0 ? evidence : evidence[..evidence.LastIndexOf("; ", summary, StringComparison.Ordinal)];
        int crash = evidence.IndexOf("exit 1 (", StringComparison.Ordinal);
        return crash < 0 ? what : $"{what}; the shim's process died: {evidence[(crash + 8)..].Split(')')[0]})";
    }
}
