using Testbed.Conformance.Lab;
using Testbed.Conformance.Timing.Statistics;

namespace Testbed.Conformance.Timing;

/// <summary>The plots of a timing run: the two distributions, the paired differences, and the samples over the run.</summary>
internal static class TimingPlots
{
    // A million points are unreadable and make a 100 MB SVG: the CDFs are drawn through 2,000 evenly spaced ranks and
    // the over-time plot shows every k-th pair, at most 4,000 per class (a report's SVGs then stay near 300 KB).
    private const int CdfPoints = 2_000, MaxPointsPerClass = 4_000;

    /// <summary>Each class's empirical CDF, between the 0.5th and 99th percentiles of both (the tail is the scheduler's).</summary>
    public static LabPlot Distributions(TimedSamples samples, string title) => new("timing-distributions", "Empirical CDF of the time to the answer, per class", plot =>
    {
        double[][] sorted = [[.. samples.A.Select(t => t / 1000.0).Order()], [.. samples.B.Select(t => t / 1000.0).Order()]];
        string[] names = [LengthOracleClasses.ClassA, LengthOracleClasses.ClassB];
        double[] both = [.. sorted[0].Concat(sorted[1]).Order()];
        for (int cls = 0; cls < 2; cls++)
        {
            double[] xs = Thin(sorted[cls]);
            double[] ys = [.. xs.Select((_, i) => (i + 1.0) / xs.Length)];
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{names[cls]} (median {sorted[cls][sorted[cls].Length / 2]:F2} µs)";
            line.MarkerSize = 0;
            line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
        }

        plot.Axes.SetLimitsX(Quantile(both, 0.005), Quantile(both, 0.99));
        plot.XLabel("time to the answer (µs)");
        plot.YLabel("fraction of samples");
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
    });

    /// <summary>A histogram of the paired differences (B − A), with the median and its confidence interval marked.</summary>
    public static LabPlot Differences(TimedSamples samples, TimingAnalysisResult analysis) =>
        new("timing-differences", "Paired differences, class B minus class A, with the median's confidence interval", plot =>
        {
            double[] differences = [.. samples.B.Zip(samples.A, (b, a) => (b - a) / 1000.0).Order()];
            double low = Quantile(differences, 0.01), high = Quantile(differences, 0.99);
            var histogram = ScottPlot.Statistics.Histogram.WithBinCount(100, low, high);
            histogram.AddRange(differences.Where(d => d >= low && d <= high));
            plot.Add.Bars(histogram.Bins, histogram.Counts);
            ConfidenceInterval median = analysis.MedianOfDifferences;
            plot.Add.VerticalLine(median.Estimate / 1000.0).LegendText = $"median {median.Estimate:F0} ns";
            plot.Add.VerticalSpan(median.Low / 1000.0, median.High / 1000.0).LegendText = $"{median.Confidence:P2} interval [{median.Low:F0}, {median.High:F0}] ns";
            plot.XLabel("B − A within a pair (µs)");
            plot.YLabel("pairs");
            plot.Title(analysis.Summary);
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        });

    /// <summary>Each class's times against when their pair was sent: drift, bursts of noise and warm-up show here.</summary>
    public static LabPlot OverTime(TimedSamples samples) => new("timing-over-time", "The samples over the run (every k-th pair shown)", plot =>
    {
        int step = Math.Max(1, samples.Pairs / MaxPointsPerClass);
        int[] shown = [.. Enumerable.Range(0, samples.Pairs).Where(i => i % step == 0)];
        double[] xs = [.. shown.Select(i => samples.StartedAt[i] / 1e9)];
        double ceiling = Quantile([.. samples.A.Concat(samples.B).Select(t => t / 1000.0).Order()], 0.99);
        foreach ((long[] times, string name) in new[] { (samples.A, LengthOracleClasses.ClassA), (samples.B, LengthOracleClasses.ClassB) })
        {
            var points = plot.Add.Scatter(xs, [.. shown.Select(i => Math.Min(times[i] / 1000.0, ceiling))]);
            points.LineWidth = 0;
            points.MarkerSize = 2;
            points.LegendText = name;
        }

        plot.XLabel("time since the first kept pair (s)");
        plot.YLabel("time to the answer (µs, capped at the 99th percentile)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
    });

    private static double[] Thin(double[] sorted)
    {
        int step = Math.Max(1, sorted.Length / CdfPoints);
        return [.. sorted.Where((_, i) => i % step == 0)];
    }

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
}
