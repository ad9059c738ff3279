using System.Globalization;
using System.Text;

namespace Testbed.Conformance.Timing;

/// <summary>
/// A power study's report: <c>power.csv</c> (every run), <c>report.md</c> (detection rates per size and budget, the
/// clean server's false positives beside α, the parameters) and the power curve (detection rate against leak size, one
/// line per budget) as PNG and SVG.
/// </summary>
internal static class PowerReport
{
    /// <summary>
    /// Whether the clean runs' false positives are more than α explains: the chance of at least that many, were each
    /// run a false positive with probability α, is below 0.001 (a one-sided binomial test).
    /// </summary>
    public static bool FalsePositivesExceedAlpha(int falsePositives, int runs, double alpha) => BinomialUpperTail(falsePositives, runs, alpha) < 0.001;

    /// <summary>Writes the three files into <paramref name="directory"/>; returns the Markdown.</summary>
    public static string Write(string directory, PowerStudy study, IReadOnlyList<PowerRun> runs, TimeSpan took)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(runs);
        Directory.CreateDirectory(directory);
        using (var csv = new StreamWriter(Path.Combine(directory, "power.csv")))
        {
            csv.WriteLine("leak_ns,pair_budget,repeat,pairs,seconds,leak,median_difference_ns,low_ns,high_ns,smallest_detectable_ns");
            foreach (PowerRun r in runs)
            {
                csv.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.LeakNanoseconds},{r.PairBudget},{r.Repeat},{r.Pairs},{r.Seconds:F3},{(r.Leak ? 1 : 0)},{r.MedianDifference:F1},{r.Low:F1},{r.High:F1},{r.SmallestDetectable:F1}"));
            }
        }

        DrawCurve(study, runs).SavePng(Path.Combine(directory, "power-curve.png"), 800, 500);
        DrawCurve(study, runs).SaveSvg(Path.Combine(directory, "power-curve.svg"), 800, 500);
        string markdown = Markdown(study, runs, took);
        File.WriteAllText(Path.Combine(directory, "report.md"), markdown);
        return markdown;
    }

    private static string Markdown(PowerStudy study, IReadOnlyList<PowerRun> runs, TimeSpan took)
    {
        var text = new StringBuilder();
        text.AppendLine("# Timing detector: power against planted leaks, false positives on the clean server");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Runs:** {runs.Count}, in {took.TotalMinutes:F1} min, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- **Each run:** its pair budget (the table's columns) or {study.Plan.Duration.TotalSeconds:G} s, after {study.Plan.WarmUpPairs:N0} warm-up pairs, "
            + $"over {study.Plan.Connections} new connection(s), with a seed of its own; one reference server per leak size");
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Verdict:** α = {study.Alpha} (docs/timing.md); the leak is `length-timing-leak=N` on the reference server, in process, loopback");
        text.AppendLine(CultureInfo.InvariantCulture, $"- **Machine:** {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        text.AppendLine();
        text.AppendLine("Detection rate (runs that called the server leaky), per leak size and pair budget; the clean server's row is the false-positive rate:");
        text.AppendLine();
        text.AppendLine("| leak | " + string.Join(" | ", study.PairBudgets.Select(b => $"{b:N0} pairs")) + " |");
        text.AppendLine("|---|" + string.Concat(study.PairBudgets.Select(_ => "---|")));
        foreach (long size in study.Sizes.Prepend(0))
        {
            var cells = study.PairBudgets.Select(budget =>
            {
                PowerRun[] these = [.. runs.Where(r => r.LeakNanoseconds == size && r.PairBudget == budget)];
                int found = these.Count(r => r.Leak);
                string rate = these.Length == 0 ? "—" : $"{found}/{these.Length}";
                string flag = size == 0 && these.Length > 0 && FalsePositivesExceedAlpha(found, these.Length, study.Alpha) ? " **more than α explains**" : "";
                string median = these.Length == 0 ? "" : $" (median {Median(these.Select(r => r.MedianDifference)):F0} ns, {Median(these.Select(r => r.Seconds)):F1} s)";
                return rate + median + flag;
            });
            text.AppendLine($"| {(size == 0 ? "none (clean server)" : $"{size:N0} ns")} | {string.Join(" | ", cells)} |");
        }

        text.AppendLine();
        text.AppendLine("Smallest detectable difference (the median-difference interval's half-width), median over all runs of a budget:");
        text.AppendLine();
        text.AppendLine("| pair budget | smallest detectable | pairs kept | sampling time |");
        text.AppendLine("|---|---|---|---|");
        foreach (int budget in study.PairBudgets)
        {
            PowerRun[] these = [.. runs.Where(r => r.PairBudget == budget)];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {budget:N0} | {Median(these.Select(r => r.SmallestDetectable)):F0} ns | {Median(these.Select(r => (double)r.Pairs)):N0} | {Median(these.Select(r => r.Seconds)):F1} s |");
        }

        text.AppendLine();
        text.AppendLine("![Detection rate against leak size, one line per budget](power-curve.svg)");
        text.AppendLine();
        text.AppendLine("Every run: `power.csv`.");
        return text.ToString();
    }

    private static ScottPlot.Plot DrawCurve(PowerStudy study, IReadOnlyList<PowerRun> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (int budget in study.PairBudgets)
        {
            double[] xs = [.. study.Sizes.Select(s => Math.Log10(s))];
            double[] ys = [.. study.Sizes.Select(s => runs.Where(r => r.LeakNanoseconds == s && r.PairBudget == budget).Select(r => r.Leak ? 1.0 : 0.0).DefaultIfEmpty().Average())];
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{budget:N0} pairs (median {Median(runs.Where(r => r.PairBudget == budget).Select(r => r.Seconds)):F1} s)";
            line.MarkerSize = 8;
        }

        var alpha = plot.Add.HorizontalLine(study.Alpha);
        alpha.LegendText = $"α = {study.Alpha}";
        alpha.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. study.Sizes.Select(s => new ScottPlot.Tick(Math.Log10(s), s >= 1000 ? $"{s / 1000.0:G} µs" : $"{s} ns"))]);
        plot.Axes.SetLimitsY(-0.05, 1.05);
        plot.XLabel("planted leak (length-timing-leak, log scale)");
        plot.YLabel("detection rate");
        plot.Title("Timing detector power on loopback");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static double BinomialUpperTail(int k, int n, double p)
    {
        double tail = 0;
        for (int i = k; i <= n; i++)
        {
            tail += Math.Exp(LogChoose(n, i) + (i * Math.Log(p)) + ((n - i) * Math.Log(1 - p)));
        }

        return Math.Min(1, tail);
    }

    private static double LogChoose(int n, int k)
    {
        double sum = 0;
        for (int i = 1; i <= k; i++)
        {
            sum += Math.Log(n - k + i) - Math.Log(i);
        }

        return sum;
    }
}
