namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// The bootstrap of a sample quantile in one draw instead of n. The q-quantile of a sample of n values is taken as its
/// k-th order statistic, k = ⌈q·n⌉ (the inverse of the empirical distribution function; Hyndman and Fan's type 1,
/// https://doi.org/10.2307/2684934). If a resample of n values is drawn with replacement from the sorted data
/// x_(1) ≤ … ≤ x_(n), its k-th order statistic is x_(J), and J ≤ j exactly when at least k of the n draws land among
/// the first j values: P(J ≤ j) = P(Binomial(n, j/n) ≥ k) = I_{j/n}(k, n − k + 1), the regularized incomplete beta
/// function. So J has the law of ⌈n·U⌉ with U ~ Beta(k, n − k + 1), and one beta draw replaces resampling n values
/// (Maritz and Jarrett, "A note on estimating the variance of the sample median", JASA 73(361), 1978,
/// https://doi.org/10.1080/01621459.1978.10480027, give this law of the bootstrapped order statistic; Efron and
/// Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13, the percentile interval built from it).
/// </summary>
internal static class OrderStatisticBootstrap
{
    /// <summary>
    /// How many replicates must lie beyond a percentile for it to be read from the replicates: with fewer, the
    /// percentile is the sample's extreme and the interval or threshold comes out too narrow.
    /// </summary>
    public const int TailReplicates = 10;

    /// <summary>The rank k = ⌈q·n⌉ (at least 1) of the q-quantile among n sorted values.</summary>
    public static int Rank(int n, double q) => Math.Clamp((int)Math.Ceiling(q * n), 1, n);

    /// <summary>The q-quantile of <paramref name="sorted"/> (ascending): its <see cref="Rank"/>-th value.</summary>
    public static long Quantile(ReadOnlySpan<long> sorted, double q) => sorted[Rank(sorted.Length, q) - 1];

    /// <summary>A bootstrap replicate of the k-th order statistic's 1-based index among n sorted values.</summary>
    public static int DrawIndex(Random random, int n, int k)
    {
        double u = RandomVariates.Beta(random, k, n - k + 1);
        return Math.Clamp((int)Math.Ceiling(n * u), 1, n);
    }

    /// <summary>A bootstrap replicate of <paramref name="sorted"/>'s q-quantile.</summary>
    public static long Draw(Random random, ReadOnlySpan<long> sorted, int k) => sorted[DrawIndex(random, sorted.Length, k) - 1];

    /// <summary>
    /// The replicate count for a percentile read at tail probability <paramref name="tail"/>: the options' count, or
    /// more so that <see cref="TailReplicates"/> replicates lie beyond it.
    /// </summary>
    public static int Replicates(int requested, double tail) =>
        Math.Max(requested, (int)Math.Min(int.MaxValue / 2, Math.Ceiling(TailReplicates / tail)));

    /// <summary>
    /// The seed of the independent random stream number <paramref name="stream"/> under the analysis's
    /// <paramref name="seed"/>: each statistic draws from its own stream, so they can run in parallel and still give
    /// the same numbers every time.
    /// </summary>
    public static int StreamSeed(int seed, int stream) => unchecked((seed * 1_000_003) + stream);
}
