namespace Testbed.Conformance.Timing.Statistics;

/// <summary>One decile of the <see cref="DecileTestResult"/>: the classes' deciles, their gap and the gap's threshold.</summary>
/// <param name="Decile">1 to 9: the 10 % to 90 % quantile.</param>
/// <param name="QuantileA">Class A's decile in nanoseconds (the ⌈q·n⌉-th smallest time).</param>
/// <param name="QuantileB">Class B's decile in nanoseconds.</param>
/// <param name="Difference">B's decile minus A's: positive when B is slower there.</param>
/// <param name="ThresholdA">
/// The (1 − α_d) quantile of |decile(resample) − decile(resample)| for two bootstrap resamples of class A alone: how
/// far two samples of the same class may drift apart by chance (RTLF's <c>maxq1</c>).
/// </param>
/// <param name="ThresholdB">The same for class B (RTLF's <c>maxq2</c>).</param>
/// <param name="Threshold">The larger of the two: the gap a difference must exceed.</param>
/// <param name="Significant">
/// |<paramref name="Difference"/>| &gt; <paramref name="Threshold"/>. The interval Difference ± Threshold then
/// excludes zero, so a flagged decile carries its own interval for the shift.
/// </param>
public sealed record DecileRow(
    int Decile, double QuantileA, double QuantileB, double Difference, double ThresholdA, double ThresholdB, double Threshold,
    bool Significant);
