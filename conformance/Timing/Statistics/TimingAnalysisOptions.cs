namespace Testbed.Conformance.Timing.Statistics;

/// <summary>How <see cref="TimingAnalysis.Analyze"/> decides and how hard it bootstraps.</summary>
/// <param name="Alpha">
/// The family-wise false-positive rate the verdict is held to: under the null hypothesis (classes A and B take the
/// same time) <see cref="TimingAnalysisResult.Leak"/> is true with probability at most <paramref name="Alpha"/>
/// (docs/timing.md, "Timing statistics"). It is split by Bonferroni: <c>Alpha/2</c> to the sign test with its
/// median interval, <c>Alpha/2</c> to the nine-decile test.
/// </param>
/// <param name="BootstrapReplicates">
/// The least number of bootstrap replicates per statistic. A percentile read far in the tail needs replicates beyond
/// it, so each statistic raises this until at least <see cref="OrderStatisticBootstrap.TailReplicates"/> replicates lie
/// past the percentile it reads (at <c>Alpha = 0.001</c>: 40,000 for the intervals, 180,000 for the decile thresholds).
/// </param>
/// <param name="Seed">Seeds the bootstrap's <see cref="Random"/>: the same data and options give the same result.</param>
public sealed record TimingAnalysisOptions(double Alpha = 0.001, int BootstrapReplicates = 5000, int Seed = 1);
