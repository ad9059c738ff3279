using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Testbed.Conformance.Lab.Reports;

/// <summary>
/// Writes one experiment run: <c>report.md</c> (setup, procedure, outcome table, verdict, notes, plots),
/// <c>result.json</c> (the same and the raw measurements) and each plot as PNG and SVG, into one directory.
/// </summary>
internal static class LabReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string VerdictText(LabVerdict verdict) => verdict switch
    {
        LabVerdict.Vulnerable => "VULNERABLE",
        LabVerdict.NotVulnerable => "not vulnerable",
        _ => "inconclusive",
    };

    public static async Task WriteAsync(ExperimentResult result, string directory, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        foreach (LabPlot plot in result.Plots)
        {
            var drawing = new ScottPlot.Plot();
            plot.Draw(drawing);
            drawing.SavePng(Path.Combine(directory, plot.Name + ".png"), 800, 500);
            drawing.SaveSvg(Path.Combine(directory, plot.Name + ".svg"), 800, 500);
        }

        foreach (LabFile file in result.Files)
        {
            using var writer = new StreamWriter(Path.Combine(directory, file.Name));
            file.Write(writer);
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "report.md"), ToMarkdown(result), cancel);
        await File.WriteAllTextAsync(Path.Combine(directory, "result.json"), ToJson(result).ToJsonString(Indented), cancel);
    }

    public static JsonObject ToJson(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new JsonObject
        {
            ["experiment"] = result.Experiment.Name,
            ["title"] = result.Experiment.Title,
            ["target"] = result.Target,
            ["fault_modelling_the_weakness"] = result.Experiment.Fault,
            ["more_faults_with_the_weakness"] = new JsonArray([.. result.Experiment.Faults.Skip(1).Select(f => (JsonNode)f)]),
            ["reference"] = result.Experiment.Reference,
            ["verdict"] = result.Verdict switch { LabVerdict.Vulnerable => "vulnerable", LabVerdict.NotVulnerable => "not_vulnerable", _ => "inconclusive" },
            ["cases"] = new JsonArray([.. result.Cases.Select(c => (JsonNode)new JsonObject
            {
                ["case"] = c.Case,
                ["outcome"] = c.Outcome,
                ["attack_worked"] = c.AttackWorked,
                ["evidence"] = c.Evidence,
            })]),
            ["notes"] = new JsonArray([.. result.Notes.Select(n => (JsonNode)n)]),
            ["data"] = result.Data.DeepClone(),
        };
    }

    public static string ToMarkdown(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        LabExperiment experiment = result.Experiment;
        text.AppendLine(CultureInfo.InvariantCulture, $"# {experiment.Title}: {VerdictText(result.Verdict)}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Target:** {result.Target}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Experiment:** `{experiment.Name}` — the weakness is modelled by the fault profile{(experiment.Faults.Count > 1 ? "s" : "")} {string.Join(" and ", experiment.Faults.Select(f => $"`{f}`"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Published:** {experiment.Reference}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Run:** {DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}");
        text.AppendLine();
        text.AppendLine("## What was done");
        text.AppendLine();
        text.AppendLine(experiment.Procedure);
        text.AppendLine();
        text.AppendLine("## Outcome");
        text.AppendLine();
        text.AppendLine("| case | outcome | attack worked | evidence |");
        text.AppendLine("|---|---|---|---|");
        foreach (LabCase row in result.Cases)
        {
            string worked = row.AttackWorked switch { true => "**yes**", false => "no", null => "—" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(row.Case)} | {Cell(row.Outcome)} | {worked} | {Cell(row.Evidence)} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Verdict: {VerdictText(result.Verdict)}");
        text.AppendLine();
        text.AppendLine(result.Verdict switch
        {
            LabVerdict.Vulnerable => $"The attack worked in {result.Cases.Count(c => c.AttackWorked == true)} of {result.Cases.Count(c => c.AttackWorked is not null)} cases.",
            LabVerdict.NotVulnerable => $"The attack failed in all {result.Cases.Count(c => c.AttackWorked is not null)} cases that ran.",
            _ => "No case could decide.",
        });
        foreach (string note in result.Notes)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }

        foreach (LabPlot plot in result.Plots)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![{plot.Caption}]({plot.Name}.svg)");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"*{plot.Caption}* (also `{plot.Name}.png`)");
        }

        text.AppendLine();
        text.AppendLine("Raw data: `result.json`.");
        foreach (LabFile file in result.Files)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- `{file.Name}`: {file.Caption}");
        }

        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
