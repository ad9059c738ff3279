using System.Globalization;

namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// Decides whether two classes of requests take different times, from randomly interleaved pairs of measurements
/// (docs/timing.md, "Timing statistics"). The pairing is what the tests rely on: with A and B measured back to back in
/// random order, drift of the machine cancels in d = b − a, and under the null hypothesis (the server treats the
/// classes alike) d is symmetric about zero.
/// </summary>
public static class TimingAnalysis
{
    /// <summary>The fewest pairs the large-sample approximations are trusted with.</summary>
    public const int MinimumPairs = 20;

    /// <summary>The random streams of the two intervals; streams 0 to 8 are the deciles' (<see cref="DecileTestResult"/>).</summary>
    private const int MedianOfDifferencesStream = 9, DifferenceOfMediansStream = 10;

    /// <summary>
    /// Analyses the pairs (<paramref name="a"/>[i], <paramref name="b"/>[i]), times in nanoseconds. The verdict
    /// <see cref="TimingAnalysisResult.Leak"/> is (sign test p &lt; α/2 and the median of differences' (1 − α/2)
    /// interval excludes 0) or (the decile test, at family-wise rate α/2, flags a decile). Under the null the first
    /// clause is true with probability at most α/2 (it implies the exact sign test rejecting at α/2), the second with
    /// probability at most α/2 (nine deciles at α/18 each), so by Bonferroni a false "leak" has probability at most α.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The classes differ in length or hold fewer than <see cref="MinimumPairs"/> pairs, Alpha lies outside (1e-6, 1),
    /// or <see cref="TimingAnalysisOptions.BootstrapReplicates"/> is below 1.
    /// </exception>
    public static TimingAnalysisResult Analyze(ReadOnlySpan<long> a, ReadOnlySpan<long> b, TimingAnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        PairedTimes.RequireSameLength(a, b);
        if (a.Length < MinimumPairs)
        {
            throw new ArgumentException($"Timing analysis needs at least {MinimumPairs} pairs; got {a.Length}.", nameof(a));
        }
        if (!(options.Alpha is > 1e-6 and < 1))
        {
            throw new ArgumentException($"Alpha must lie in (1e-6, 1); got {options.Alpha}.", nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BootstrapReplicates, 1, nameof(options));

        long[] d = new long[a.Length];
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = b[i] - a[i];
        }
        long[] sortedA = a.ToArray(), sortedB = b.ToArray(), sortedD = (long[])d.Clone();
        WilcoxonResult wilcoxon = null!;
        Parallel.Invoke(
            () => Array.Sort(sortedA), () => Array.Sort(sortedB), () => Array.Sort(sortedD), () => wilcoxon = WilcoxonResult.Of(d));
        SignTestResult sign = SignTestResult.Of(d);

        double confidence = 1 - options.Alpha / 2;
        int replicates = OrderStatisticBootstrap.Replicates(options.BootstrapReplicates, options.Alpha / 4);
        ConfidenceInterval medianOfDifferences = null!, differenceOfMedians = null!;
        DecileTestResult deciles = null!;
        Random Stream(int stream) => new(OrderStatisticBootstrap.StreamSeed(options.Seed, stream));
        Parallel.Invoke(
            () => medianOfDifferences = MedianOfDifferences(sortedD, confidence, replicates, Stream(MedianOfDifferencesStream)),
            () => differenceOfMedians = DifferenceOfMedians(sortedA, sortedB, confidence, replicates, Stream(DifferenceOfMediansStream)),
            () => deciles = DecileTestResult.Of(sortedA, sortedB, options.Alpha / 2, options.BootstrapReplicates, options.Seed));

        // The sign test, not Wilcoxon's: paired latency differences are sharply peaked at 0 with heavy tails, where the
        // sign test is the stronger of the two (a planted 300 ns moved the median of 20,000 differences by 191 ns
        // [140, 250] while the signed ranks, swamped by the tails, stayed above α/2). Wilcoxon is still reported.
        bool leak = (sign.P < options.Alpha / 2 && medianOfDifferences.ExcludesZero) || deciles.Significant;
        double smallestDetectable = Math.Max(medianOfDifferences.HalfWidth, StepAtTheMedian(sortedD));
        string summary = Summarize(leak, medianOfDifferences, smallestDetectable, sign, wilcoxon, deciles);
        return new TimingAnalysisResult(a.Length, options.Alpha, sign, wilcoxon, medianOfDifferences, differenceOfMedians, deciles,
            smallestDetectable, leak, summary);
    }

    /// <summary>
    /// The gap from the median difference to the nearest different value, below or above. With millions of pairs
    /// the median's interval can collapse onto a run of equal differences (a 756,024-pair run here had [0, 0]): the
    /// data then cannot place a shift finer than this step, so the smallest detectable difference is never reported
    /// below it.
    /// </summary>
    private static double StepAtTheMedian(long[] sortedD)
    {
        int k = OrderStatisticBootstrap.Rank(sortedD.Length, 0.5) - 1;
        long median = sortedD[k];
        int below = Array.FindLastIndex(sortedD, k, x => x < median);
        int above = Array.FindIndex(sortedD, k, x => x > median);
        long step = long.MaxValue;
        if (below >= 0)
        {
            step = median - sortedD[below];
        }

        if (above >= 0)
        {
            step = Math.Min(step, sortedD[above] - median);
        }

        return step == long.MaxValue ? 0 : step;
    }

    /// <summary>
    /// The median of the paired differences, whose replicates are the median of a resample of the pairs: one
    /// <see cref="OrderStatisticBootstrap"/> draw each. Resampling pairs keeps their correlation, so this interval is
    /// the sharp one and sets <see cref="TimingAnalysisResult.SmallestDetectableNs"/> (with <see cref="StepAtTheMedian"/>).
    /// </summary>
    private static ConfidenceInterval MedianOfDifferences(long[] sortedD, double confidence, int replicates, Random random)
    {
        int k = OrderStatisticBootstrap.Rank(sortedD.Length, 0.5);
        long[] draws = new long[replicates];
        for (int r = 0; r < replicates; r++)
        {
            draws[r] = OrderStatisticBootstrap.Draw(random, sortedD, k);
        }
        return ConfidenceInterval.FromReplicates(sortedD[k - 1], draws, confidence);
    }

    /// <summary>
    /// median(b) − median(a), whose replicates resample each class on its own. That ignores the pairing: paired times
    /// share the machine's state and are positively correlated, which narrows the true spread of the difference, so
    /// treating them as independent makes this interval wider than it need be (conservative).
    /// </summary>
    private static ConfidenceInterval DifferenceOfMedians(long[] sortedA, long[] sortedB, double confidence, int replicates, Random random)
    {
        int k = OrderStatisticBootstrap.Rank(sortedA.Length, 0.5);
        long[] draws = new long[replicates];
        for (int r = 0; r < replicates; r++)
        {
            draws[r] = OrderStatisticBootstrap.Draw(random, sortedB, k) - OrderStatisticBootstrap.Draw(random, sortedA, k);
        }
        return ConfidenceInterval.FromReplicates(sortedB[k - 1] - sortedA[k - 1], draws, confidence);
    }

    /// <summary>The one-line verdict: "leak: median difference +98 ns [71, 125] at 99.95%; sign p = 1e-15; Wilcoxon p = 3e-12; ...".</summary>
    private static string Summarize(bool leak, ConfidenceInterval median, double smallestDetectable, SignTestResult sign, WilcoxonResult wilcoxon,
        DecileTestResult deciles)
    {
        var c = CultureInfo.InvariantCulture;
        int[] flagged = [.. deciles.Rows.Where(r => r.Significant).Select(r => r.Decile)];
        string decileText = flagged.Length switch
        {
            0 => "no decile differs",
            1 => $"decile {flagged[0]} differs",
            _ => $"deciles {DecileRanges(flagged)} differ",
        };
        return string.Create(c,
            $"{(leak ? "leak" : "no leak")}: median difference {median.Estimate:+0;-0;0} ns [{median.Low:0}, {median.High:0}] at {median.Confidence * 100:0.###}%; "
            + $"sign p = {sign.P:g2}; Wilcoxon p = {wilcoxon.P:g2}; {decileText}; smallest detectable {smallestDetectable:0} ns");
    }

    /// <summary>Ascending decile numbers as ranges: [1, 2, 3, 5, 7, 8] reads "1-3, 5, 7-8".</summary>
    private static string DecileRanges(int[] ascending)
    {
        var parts = new List<string>();
        for (int start = 0; start < ascending.Length;)
        {
            int end = start;
            while (end + 1 < ascending.Length && ascending[end + 1] == ascending[end] + 1)
            {
                end++;
            }
            parts.Add(end == start ? $"{ascending[start]}" : $"{ascending[start]}-{ascending[end]}");
            start = end + 1;
        }
        return string.Join(", ", parts);
    }
}
