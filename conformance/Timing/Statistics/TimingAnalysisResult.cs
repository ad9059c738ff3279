namespace Testbed.Conformance.Timing.Statistics;

/// <summary>What <see cref="TimingAnalysis.Analyze"/> found in one run of paired timings (docs/timing.md).</summary>
/// <param name="Pairs">How many (A, B) pairs were measured.</param>
/// <param name="Alpha">The family-wise false-positive rate the verdict was held to.</param>
/// <param name="Sign">The sign test on d = b − a.</param>
/// <param name="Wilcoxon">The signed-rank test on d = b − a.</param>
/// <param name="MedianOfDifferences">The median of d, with its bootstrap interval at confidence 1 − Alpha/2.</param>
/// <param name="DifferenceOfMedians">median(b) − median(a), with its bootstrap interval at confidence 1 − Alpha/2.</param>
/// <param name="Deciles">RTLF's decile test at family-wise rate Alpha/2.</param>
/// <param name="SmallestDetectableNs">
/// The half-width of <paramref name="MedianOfDifferences"/>' interval, but never less than the step from the median
/// difference to the nearest different one: a shift of the median difference smaller than this could not have been
/// told from zero by this run.
/// </param>
/// <param name="Leak">
/// The verdict: (sign test p &lt; Alpha/2 and the median-of-differences interval excludes 0) or the decile test flags
/// a decile. Each half is a test at Alpha/2, so by Bonferroni the verdict is a false positive with probability at most
/// Alpha.
/// </param>
/// <param name="Summary">
/// One line for a report, e.g. "leak: median difference +98 ns [71, 125] at 99.95%; sign p = 1e-15; Wilcoxon p = 3e-12;
/// deciles 1-9 differ; smallest detectable 27 ns".
/// </param>
public sealed record TimingAnalysisResult(
    int Pairs,
    double Alpha,
    SignTestResult Sign,
    WilcoxonResult Wilcoxon,
    ConfidenceInterval MedianOfDifferences,
    ConfidenceInterval DifferenceOfMedians,
    DecileTestResult Deciles,
    double SmallestDetectableNs,
    bool Leak,
    string Summary);
