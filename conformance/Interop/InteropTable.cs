using System.Text;

namespace Testbed.Conformance.Interop;

/// <summary>
/// The matrix as markdown: client × version × transport × handshake / pings / RPC / reconnect / cut / key kept, the
/// security log's refusals and the verdict per cell; then each third-party bug with its evidence.
/// </summary>
internal static class InteropTable
{
    private static readonly (string Title, string[] Steps)[] Columns =
    [
        ("handshake", ["handshake"]), ("20 pings", ["ping:20"]), ("RPC (chat, help.getConfig)", ["rpc:chat", "rpc:config"]),
        ("future_salts", ["future-salts"]), ("reconnect, saved key", ["reconnect"]), ("cut, recovered", ["cut"]), ("key kept", ["key-check"]),
    ];

    /// <summary>The table of <paramref name="results"/> and the bug list.</summary>
    public static string Markdown(IReadOnlyList<CellResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine($"| client | version | transport | fixes | {string.Join(" | ", Columns.Select(c => c.Title))} | security log | verdict |");
        text.AppendLine($"|---|---|---|---|{string.Concat(Columns.Select(_ => "---|"))}---|---|");
        foreach (CellResult result in results)
        {
            InteropCell cell = result.Cell;
            IEnumerable<string> columns = Columns.Select(column => Column(result, column.Steps));
            string verdict = (result.AsExpected ? "as expected" : "**differs**")
                + (result.FirstRun is { } first ? $" (second run; the first: {FirstDifference(first)})" : "");
            text.AppendLine($"| {cell.Client} | {result.Version} | {cell.Transport} | {(cell.Fixes.Count == 0 ? "as shipped" : string.Join(", ", cell.Fixes))} | "
                + $"{string.Join(" | ", columns)} | {Log(result)} | {verdict} |");
        }

        text.AppendLine().AppendLine("| third-party bug | client | what happens | evidence |").AppendLine("|---|---|---|---|");
        foreach (ThirdPartyBug bug in InteropMatrix.Bugs)
        {
            text.AppendLine($"| `{bug.Fix}` | {bug.Client} | {bug.Summary} | {bug.Evidence} |");
        }

        return text.ToString();
    }

    private static string Column(CellResult result, string[] steps)
    {
        StepOutcome[] outcomes = [.. result.Steps.Where(step => steps.Contains(step.Step))];
        return outcomes.Length == 0 ? "" : string.Join("; ", outcomes.Select(o => o.Text).Distinct()).Replace("|", "\\|", StringComparison.Ordinal);
    }

    /// <summary>What made a first run differ: its first step off its expectation, else the log's first problem.</summary>
    private static string FirstDifference(CellResult first) =>
        (first.Steps.FirstOrDefault(step => !step.AsExpected) is { } step ? $"{step.Step}: {step.Text}" : first.LogProblems.Count > 0 ? first.LogProblems[0] : "?")
            .Replace("|", "\\|", StringComparison.Ordinal).Replace("**", "", StringComparison.Ordinal);

    private static string Log(CellResult result)
    {
        string refusals = string.Join(", ", result.Refusals.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value}"));
        string counts = $"keys made {result.KeysCreated}" + (refusals.Length > 0 ? $"; {refusals}" : "; no refusal");
        return result.LogProblems.Count == 0 ? counts : $"{counts}: **{string.Join("; ", result.LogProblems)}**";
    }
}
