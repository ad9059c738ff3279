namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// Wilcoxon's signed-rank test on the paired differences d = b − a (Wilcoxon, "Individual comparisons by ranking
/// methods", Biometrics Bulletin 1(6), 1945): zero differences are dropped (Wilcoxon's own treatment), the rest ranked
/// by |d| with tied magnitudes sharing their mean rank, and W+ (the positive differences' rank sum) compared with its
/// null law by the normal approximation with the tie correction of its variance, without continuity correction
/// (Conover 1999, §5.7; SciPy's <c>wilcoxon(..., method="approx")</c>, which tlsfuzzer calls, does the same:
/// https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.wilcoxon.html). Timing runs have far more than
/// the ~20 pairs below which the exact law would be needed.
/// </summary>
/// <param name="NonZero">Pairs with b ≠ a: the n the test ranks.</param>
/// <param name="WPlus">The sum of the ranks of the positive differences.</param>
/// <param name="Z">(W+ − n(n+1)/4) / σ: positive when B tends to be slower.</param>
/// <param name="P">The two-sided p-value, P(|N(0,1)| ≥ |Z|); 1 when every difference is zero.</param>
public sealed record WilcoxonResult(int NonZero, double WPlus, double Z, double P)
{
    /// <summary>The test on the differences <paramref name="d"/>.</summary>
    internal static WilcoxonResult Of(ReadOnlySpan<long> d)
    {
        // Each nonzero difference as 2|x| + (x > 0): one plain sort orders by magnitude, and the low bit keeps the sign.
        long[] keys = new long[d.Length];
        int n = 0;
        foreach (long x in d)
        {
            if (x != 0)
            {
                keys[n++] = 2 * Math.Abs(x) + (x > 0 ? 1 : 0);
            }
        }
        Span<long> ranked = keys.AsSpan(0, n);
        ranked.Sort();
        double wPlus = 0, tieSum = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end < n && ranked[end] >> 1 == ranked[start] >> 1)
            {
                end++;
            }
            double meanRank = (start + 1 + end) / 2.0, tied = end - start;
            for (int i = start; i < end; i++)
            {
                wPlus += (ranked[i] & 1) * meanRank;
            }
            tieSum += tied * tied * tied - tied;
            start = end;
        }
        double mean = n * (n + 1.0) / 4.0;
        double variance = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tieSum / 48.0;
        double z = variance > 0 ? (wPlus - mean) / Math.Sqrt(variance) : 0;
        return new WilcoxonResult(n, wPlus, z, NormalDistribution.TwoSidedP(z));
    }
}
