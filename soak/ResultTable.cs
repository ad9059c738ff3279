using System.Globalization;
using System.Text;

namespace Testbed.Soak;

/// <summary>The rows as a markdown table, with the run's scale and limits above it (docs/soak.md, "Reading the table").</summary>
internal static class ResultTable
{
    public static string Render(SoakScale scale, IReadOnlyList<SoakRow> rows, TimeSpan took)
    {
        var text = new StringBuilder();
        string latency = scale.JudgesLatency ? "judged (p99 ≤ 1 s)" : "reported only";
        text.AppendLine(CultureInfo.InvariantCulture, $"Scale {scale.Name}: server descriptor limit {scale.ServerDescriptorLimit:N0}, handshake step {scale.HandshakeStepSeconds} s (connections must close within {scale.CloseLimit.TotalSeconds:0} s), after-check {SoakScale.AfterPatienceSeconds} s, latency {latency}; {rows.Count(r => r.Passed)} of {rows.Count} passed in {took.TotalMinutes:0.0} min.");
        text.AppendLine();
        text.AppendLine("| attack | size | RSS MiB before / peak / after | fds before / peak / after | victim ok / total | p99 ms | closed after (max s) | verdict |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (SoakRow row in rows)
        {
            string after = row.After is { } a ? $"{a.RssMiB:0}" : "—";
            string afterFds = row.After is { } b ? $"{b.Descriptors}" : "—";
            string closed = row.LongestOpen is not { } open ? "—" : row.StillOpen > 0 ? $"> {open.TotalSeconds:0} ({row.StillOpen} open)" : $"{open.TotalSeconds:0.0}";
            string verdict = row.Passed ? "PASS" : "FAIL: " + string.Join("; ", row.Failures);
            string notes = row.Notes.Count > 0 ? $" ({string.Join("; ", row.Notes)})" : "";
            string p99 = row.P99Milliseconds is { } p ? p.ToString("0", CultureInfo.InvariantCulture) : "—";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Attack} | {row.Size} | {row.Before.RssMiB:0} / {row.Peak.RssMiB:0} / {after} | {row.Before.Descriptors} / {row.Peak.Descriptors} / {afterFds} | {row.VictimOk} / {row.VictimTotal} | {p99} | {closed} | {Cell(verdict + notes)} |");
        }

        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
