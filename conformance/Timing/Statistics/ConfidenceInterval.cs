namespace Testbed.Conformance.Timing.Statistics;

/// <summary>A point estimate in nanoseconds with a two-sided bootstrap percentile interval.</summary>
/// <param name="Estimate">The statistic on the measured data.</param>
/// <param name="Low">The interval's lower end.</param>
/// <param name="High">The interval's upper end.</param>
/// <param name="Confidence">The interval's coverage, e.g. 0.9995 for <c>Alpha = 0.001</c>.</param>
public sealed record ConfidenceInterval(double Estimate, double Low, double High, double Confidence)
{
    /// <summary>Whether zero lies outside the interval: the difference is significant at 1 − <see cref="Confidence"/>.</summary>
    public bool ExcludesZero => Low > 0 || High < 0;

    /// <summary>Half the interval's width: how far the truth may lie from the estimate at this confidence.</summary>
    public double HalfWidth => (High - Low) / 2;

    /// <summary>
    /// The percentile interval (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, §13.3) from
    /// <paramref name="replicates"/>, which it sorts in place. Its ends are read symmetrically, the i-th value from
    /// either end with i = ⌊B·(1 − confidence)/2⌋, so negating every replicate exactly negates and swaps the ends.
    /// </summary>
    public static ConfidenceInterval FromReplicates(double estimate, Span<long> replicates, double confidence)
    {
        replicates.Sort();
        int beyond = (int)Math.Floor(replicates.Length * (1 - confidence) / 2);
        return new ConfidenceInterval(estimate, replicates[beyond], replicates[replicates.Length - 1 - beyond], confidence);
    }
}
