namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// RTLF's decile test (Dunsche, Maehren, Erinola, Merget, Schwenk, Somorovsky, "With Great Power Come Great Side
/// Channels: Statistical Timing Side-Channel Analyses with Bounded Type-1 Errors", USENIX Security 2024,
/// https://www.usenix.org/conference/usenixsecurity24/presentation/dunsche; code: https://github.com/tls-attacker/RTLF,
/// <c>rtlf.R</c>, functions <c>autotest</c>, <c>bootstrap1</c>, <c>test</c>). For each class separately and each decile
/// it bootstraps how far the decile of one resample of the class lies from the decile of another
/// (|Q(X*) − Q(X**)|, both resamples drawn from the same class), takes that statistic's (1 − α/9) quantile as the
/// class's threshold, and flags a decile when the two classes' deciles differ by more than the larger of the two
/// classes' thresholds. Each decile is tested at α/9, so by Bonferroni the nine together falsely flag one with
/// probability at most α (here α is the analysis's Alpha/2, its share for this test).
/// <para>
/// Departures from <c>rtlf.R</c>, each deliberate: a decile is the ⌈q·n⌉-th order statistic (R's quantile type 1;
/// RTLF uses type 2, which averages two order statistics when q·n is whole) so that each replicate is one exact
/// draw from <see cref="OrderStatisticBootstrap"/> instead of a resample of n values; the replicate count is
/// raised until ten replicates lie beyond the threshold (RTLF fixes 10,000, too few at α/9 below ~0.009); the
/// resample size is n for both classes, as RTLF's min(n_X, n_Y) is n for paired data; and zero times are kept
/// (RTLF's reader drops them as missing). Only each decile's own replicate law is needed, so the nine deciles
/// are drawn independently rather than from one shared resample, which changes nothing at each decile.
/// </para>
/// </summary>
/// <param name="Rows">The nine deciles, 10 % first.</param>
/// <param name="AlphaPerDecile">The false-positive rate each decile is tested at: the test's α over 9.</param>
/// <param name="Replicates">The bootstrap replicates behind each class's threshold at each decile.</param>
public sealed record DecileTestResult(IReadOnlyList<DecileRow> Rows, double AlphaPerDecile, int Replicates)
{
    /// <summary>Whether any decile differs: the test's verdict.</summary>
    public bool Significant => Rows.Any(r => r.Significant);

    /// <summary>
    /// The test on the sorted classes at family-wise rate <paramref name="alpha"/>. Each decile's thresholds come from
    /// a stream seeded by <paramref name="seed"/> and the decile alone, so the same class gives the same threshold
    /// whether it is passed as A or as B.
    /// </summary>
    internal static DecileTestResult Of(long[] sortedA, long[] sortedB, double alpha, int requestedReplicates, int seed)
    {
        double alphaPerDecile = alpha / 9;
        int replicates = OrderStatisticBootstrap.Replicates(requestedReplicates, alphaPerDecile);
        var rows = new DecileRow[9];
        Parallel.For(0, 9, i =>
        {
            double q = (i + 1) / 10.0;
            long quantileA = OrderStatisticBootstrap.Quantile(sortedA, q), quantileB = OrderStatisticBootstrap.Quantile(sortedB, q);
            long thresholdA = Threshold(sortedA, q, alphaPerDecile, replicates, new Random(OrderStatisticBootstrap.StreamSeed(seed, i)));
            long thresholdB = Threshold(sortedB, q, alphaPerDecile, replicates, new Random(OrderStatisticBootstrap.StreamSeed(seed, i)));
            long difference = quantileB - quantileA, threshold = Math.Max(thresholdA, thresholdB);
            rows[i] = new DecileRow(i + 1, quantileA, quantileB, difference, thresholdA, thresholdB, threshold, Math.Abs(difference) > threshold);
        });
        return new DecileTestResult(rows, alphaPerDecile, replicates);
    }

    /// <summary>The (1 − <paramref name="alphaPerDecile"/>) quantile of |Q(X*) − Q(X**)| over bootstrap replicates of one class.</summary>
    private static long Threshold(long[] sorted, double q, double alphaPerDecile, int replicates, Random random)
    {
        int k = OrderStatisticBootstrap.Rank(sorted.Length, q);
        long[] gaps = new long[replicates];
        for (int r = 0; r < replicates; r++)
        {
            gaps[r] = Math.Abs(OrderStatisticBootstrap.Draw(random, sorted, k) - OrderStatisticBootstrap.Draw(random, sorted, k));
        }
        Array.Sort(gaps);
        return OrderStatisticBootstrap.Quantile(gaps, 1 - alphaPerDecile);
    }
}
