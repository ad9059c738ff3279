using System.Numerics;
using FsCheck;
using FsCheck.Xunit;
using Testbed.Conformance.Timing.Statistics;

namespace Testbed.Conformance.Tests;

/// <summary>The timing statistics (docs/timing.md, "Timing statistics"): hand-derived values, symmetries, the bootstrap law, and the verdict's error rates.</summary>
public sealed class TimingStatisticsTests
{
    private static readonly TimingAnalysisOptions Loose = new(Alpha: 0.05, BootstrapReplicates: 2000);

    [Fact]
    public void Ten_positive_differences_give_the_exact_sign_p_of_2_in_1024()
    {
        SignTestResult sign = SignTestResult.Of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Assert.Equal((10, 0, 0), (sign.Positives, sign.Negatives, sign.Ties));
        Assert.Equal(2.0 / 1024, sign.P, 1e-15);
    }

    [Fact]
    public void The_sign_test_drops_ties_and_caps_p_at_1()
    {
        SignTestResult sign = SignTestResult.Of([5, 7, -3, 0, 0]);
        Assert.Equal((2, 1, 2), (sign.Positives, sign.Negatives, sign.Ties));
        Assert.Equal(1.0, sign.P);
    }

    /// <summary>The tail against exact rational arithmetic: 2·Σ_{i≤k} C(n, i) / 2ⁿ.</summary>
    [Theory]
    [InlineData(200, 80)]
    [InlineData(3000, 1400)]
    [InlineData(5000, 2000)]
    public void The_sign_p_matches_the_exact_binomial_tail(int n, int negatives)
    {
        long[] d = [.. Enumerable.Range(0, n).Select(i => i < negatives ? -1L : 1L)];
        BigInteger tail = BigInteger.Zero, choose = BigInteger.One;
        for (int i = 0; i <= negatives; i++)
        {
            tail += choose;
            choose = choose * (n - i) / (i + 1);
        }
        double expected = Math.Exp(BigInteger.Log(2 * tail) - n * Math.Log(2));
        Assert.Equal(1.0, SignTestResult.Of(d).P / expected, 1e-9);
    }

    /// <summary>
    /// Hand-computed cases. d = 1..10 (shuffled): W+ = 55 against mean 27.5 and variance 10·11·21/24 = 96.25.
    /// d = (1, −1, 2, 2, 3) among zeros: the zeros are dropped, the ranks are 1.5, 1.5, 3.5, 3.5, 5, so W+ = 13.5
    /// against mean 7.5, and the two pairs of ties take (2³−2)·2/48 = 0.25 off the variance 5·6·11/24 = 13.75.
    /// The p-values are erfc(|z|/√2), computed independently.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 3, 1, 4, 10, 5, 9, 2, 6, 8, 7 }, 10, 55, 96.25, 0.00506203212626787)]
    [InlineData(new long[] { 0, 1, -1, 0, 2, 2, 3, 0 }, 5, 13.5, 13.5, 0.10247043485974947)]
    public void Wilcoxon_matches_hand_computed_ranks_ties_and_normal_approximation(long[] d, int nonZero, double wPlus, double variance, double p)
    {
        WilcoxonResult w = WilcoxonResult.Of(d);
        Assert.Equal((nonZero, wPlus), (w.NonZero, w.WPlus));
        Assert.Equal((wPlus - nonZero * (nonZero + 1) / 4.0) / Math.Sqrt(variance), w.Z, 1e-12);
        Assert.Equal(p, w.P, 1e-7);
    }

    /// <summary>
    /// Both tests against SciPy 1.10.1 on seeded data with ties and zeros (the differences of <see cref="Noisy"/>):
    /// <c>binomtest(negatives, nonzero, 0.5).pvalue</c> and <c>wilcoxon(nonzero d, zero_method="wilcox",
    /// correction=False, method="approx").pvalue</c>. The Wilcoxon p agrees to the erfc fit's 1.2e-7.
    /// </summary>
    [Theory]
    [InlineData(42, 3000, 40, 1, 1564, 1432, 0.016682438544667087, 0.016837530012954214)]
    [InlineData(43, 500, 0, 10, 256, 240, 0.5006561359793879, 0.45745619335600207)]
    public void Sign_and_wilcoxon_agree_with_scipy(int seed, int n, long shift, int tick, int positives, int negatives, double signP, double wilcoxonP)
    {
        (long[] a, long[] b) = Noisy(seed, n, shift, tick);
        long[] d = [.. a.Zip(b, (x, y) => y - x)];
        SignTestResult sign = SignTestResult.Of(d);
        Assert.Equal((positives, negatives), (sign.Positives, sign.Negatives));
        Assert.Equal(1.0, sign.P / signP, 1e-9);
        Assert.Equal(1.0, WilcoxonResult.Of(d).P / wilcoxonP, 1e-6);
    }

    [Fact]
    public void Wilcoxon_on_all_zero_differences_has_p_1()
    {
        WilcoxonResult w = WilcoxonResult.Of([0, 0, 0]);
        Assert.Equal((0, 0.0, 1.0), (w.NonZero, w.Z, w.P));
    }

    /// <summary>Swapping the classes negates every difference: the same p-values, z negated, estimates negated, the same verdict.</summary>
    [Property(MaxTest = 25)]
    public bool Swapping_the_classes_keeps_p_and_negates_z_and_the_estimates(int seed, byte extra, bool shifted)
    {
        int n = 21 + 2 * (extra % 100); // odd: the median is one order statistic of either sign
        (long[] a, long[] b) = Noisy(seed, n, shift: shifted ? 300 : 0);
        TimingAnalysisResult ab = TimingAnalysis.Analyze(a, b, Loose), ba = TimingAnalysis.Analyze(b, a, Loose);
        return ab.Sign.P == ba.Sign.P && ab.Sign.Positives == ba.Sign.Negatives
            && ab.Wilcoxon.P == ba.Wilcoxon.P && ab.Wilcoxon.Z == -ba.Wilcoxon.Z
            && ab.MedianOfDifferences.Estimate == -ba.MedianOfDifferences.Estimate
            && ab.DifferenceOfMedians.Estimate == -ba.DifferenceOfMedians.Estimate
            && ab.Deciles.Rows.Zip(ba.Deciles.Rows).All(r => r.First.Difference == -r.Second.Difference
                && r.First.Threshold == r.Second.Threshold && r.First.Significant == r.Second.Significant);
    }

    /// <summary>Adding one constant to every time (a slower machine, a different clock origin) changes no statistic.</summary>
    [Property(MaxTest = 25)]
    public bool Adding_a_constant_to_both_classes_changes_nothing(int seed, PositiveInt constant, bool shifted)
    {
        (long[] a, long[] b) = Noisy(seed, 101, shift: shifted ? 300 : 0);
        long c = constant.Get;
        TimingAnalysisResult plain = TimingAnalysis.Analyze(a, b, Loose);
        TimingAnalysisResult moved = TimingAnalysis.Analyze([.. a.Select(x => x + c)], [.. b.Select(x => x + c)], Loose);
        return plain.Sign == moved.Sign && plain.Wilcoxon == moved.Wilcoxon
            && plain.MedianOfDifferences == moved.MedianOfDifferences && plain.DifferenceOfMedians == moved.DifferenceOfMedians
            && plain.Deciles.Rows.Zip(moved.Deciles.Rows).All(r => r.First with { QuantileA = r.First.QuantileA + c, QuantileB = r.First.QuantileB + c } == r.Second)
            && plain.Leak == moved.Leak && plain.Summary == moved.Summary;
    }

    /// <summary>
    /// The one-draw bootstrap of an order statistic against resampling n values, both against the exact law
    /// P(J ≤ j) = P(Binomial(n, j/n) ≥ k): the largest gap between empirical and exact distribution functions stays
    /// within 0.02 (the Kolmogorov–Smirnov 5 % critical value at 20,000 draws is 0.0096).
    /// </summary>
    [Theory]
    [InlineData(25, 0.5)]
    [InlineData(25, 0.1)]
    [InlineData(40, 0.9)]
    public void The_order_statistic_bootstrap_has_the_law_of_resampling_n_values(int n, double q)
    {
        const int draws = 20_000;
        int k = OrderStatisticBootstrap.Rank(n, q);
        var random = new Random(7);
        int[] fast = new int[draws], naive = new int[draws];
        int[] resample = new int[n];
        for (int r = 0; r < draws; r++)
        {
            fast[r] = OrderStatisticBootstrap.DrawIndex(random, n, k);
            for (int i = 0; i < n; i++)
            {
                resample[i] = random.Next(1, n + 1);
            }
            Array.Sort(resample);
            naive[r] = resample[k - 1];
        }
        double[] exact = [.. Enumerable.Range(1, n).Select(j => BinomialAtLeast(n, (double)j / n, k))];
        Assert.True(MaxCdfGap(fast, exact) < 0.02, $"one-draw bootstrap off the exact law by {MaxCdfGap(fast, exact)}");
        Assert.True(MaxCdfGap(naive, exact) < 0.02, $"naive bootstrap off the exact law by {MaxCdfGap(naive, exact)}");
    }

    /// <summary>A shift of 8 noise-IQRs/√n (exponential noise, IQR = ln 3 × scale) is found, and its interval holds the true shift.</summary>
    [Fact]
    public void A_planted_shift_is_a_leak_and_its_interval_holds_the_true_shift()
    {
        const int n = 2000;
        long shift = (long)(8 * Math.Log(3) * NoiseScale / Math.Sqrt(n));
        (long[] a, long[] b) = Noisy(3, n, shift);
        TimingAnalysisResult result = TimingAnalysis.Analyze(a, b, new TimingAnalysisOptions());
        Assert.True(result.Leak, result.Summary);
        Assert.True(result.Sign.P < 0.0005 && result.Sign.Positives > result.Sign.Negatives, result.Summary);
        Assert.True(result.Wilcoxon.P < 0.0005 && result.Wilcoxon.Z > 0, result.Summary);
        Assert.InRange(shift, result.MedianOfDifferences.Low, result.MedianOfDifferences.High);
        Assert.True(result.SmallestDetectableNs >= result.MedianOfDifferences.HalfWidth, result.Summary);
        Assert.StartsWith("leak: median difference +", result.Summary, StringComparison.Ordinal);
    }

    /// <summary>
    /// Many equal differences at the median collapse its interval to a point ([0, 0]); the smallest detectable
    /// difference is then the step to the nearest other difference, never 0.
    /// </summary>
    [Fact]
    public void A_median_interval_collapsed_on_ties_does_not_claim_a_smallest_detectable_difference_of_zero()
    {
        long[] d = [.. Enumerable.Repeat(-7L, 400), .. Enumerable.Repeat(0L, 1_200), .. Enumerable.Repeat(7L, 400)];
        TimingAnalysisResult result = TimingAnalysis.Analyze([.. d.Select(_ => 1000L)], [.. d.Select(x => 1000L + x)], new TimingAnalysisOptions());
        Assert.Equal(0, result.MedianOfDifferences.HalfWidth);
        Assert.Equal(7, result.SmallestDetectableNs);
        Assert.EndsWith("smallest detectable 7 ns", result.Summary, StringComparison.Ordinal);
    }

    /// <summary>
    /// The shape that made the paired clause use the sign test: most differences sit in a narrow peak that moved (+10
    /// ns, 10,000 pairs) and a heavy tail goes the other way (−1,000 ns, 4,142 pairs). The signed ranks of the tail
    /// outweigh the peak's, so W+ and W− balance (50,005,000 against 50,000,153) and Wilcoxon's test sees nothing,
    /// while the median moved and most signs say so: the sign test and the median's interval find it.
    /// </summary>
    [Fact]
    public void A_moved_peak_against_a_heavy_tail_is_found_by_the_sign_test_where_signed_ranks_balance()
    {
        long[] d = [.. Enumerable.Repeat(10L, 10_000), .. Enumerable.Repeat(-1000L, 4_142)];
        long[] a = [.. d.Select(_ => 30_000L)];
        long[] b = [.. d.Select(x => 30_000L + x)];
        TimingAnalysisResult result = TimingAnalysis.Analyze(a, b, new TimingAnalysisOptions());
        Assert.True(result.Wilcoxon.P > 0.5, result.Summary);
        Assert.True(result.Sign.P < result.Alpha / 2 && result.MedianOfDifferences.ExcludesZero, result.Summary);
        Assert.True(result.Leak, result.Summary);
    }

    /// <summary>
    /// One request in ten of class B takes a slow path (+5 µs) and one in ten a fast one (−5 µs): the median does not
    /// move, so the paired clause stays quiet, but the outer deciles do, and the decile test alone finds the leak, below
    /// the median and above it.
    /// </summary>
    [Fact]
    public void A_change_of_spread_without_a_change_of_median_is_found_by_the_deciles()
    {
        (long[] a, long[] b) = Noisy(5, 5000, shift: 0);
        for (int i = 0; i < b.Length; i += 10)
        {
            b[i] += 5 * NoiseScale;
            b[i + 1] -= 5 * NoiseScale;
        }
        TimingAnalysisResult result = TimingAnalysis.Analyze(a, b, new TimingAnalysisOptions());
        Assert.False(result.Sign.P < result.Alpha / 2 && result.MedianOfDifferences.ExcludesZero, result.Summary);
        Assert.True(result.Leak, result.Summary);
        Assert.True(result.Deciles.Rows.Take(4).Any(r => r.Significant) && result.Deciles.Rows.Skip(5).Any(r => r.Significant), result.Summary);
        Assert.All(result.Deciles.Rows.Where(r => r.Significant), r => Assert.True(Math.Abs(r.Difference) > r.Threshold));
        Assert.Matches("^leak: .*; deciles [1-4].*, [6-9].* differ;", result.Summary);
    }

    [Fact]
    public void Identical_distributions_are_not_a_leak()
    {
        (long[] a, long[] b) = Noisy(11, 2000, shift: 0);
        TimingAnalysisResult result = TimingAnalysis.Analyze(a, b, new TimingAnalysisOptions());
        Assert.False(result.Leak, result.Summary);
        Assert.False(result.Deciles.Significant, result.Summary);
        Assert.StartsWith("no leak: ", result.Summary, StringComparison.Ordinal);
    }

    /// <summary>
    /// Over 200 seeded null data sets at α = 0.05 about 10 false leaks are allowed on average; more than 20 would put
    /// the bound in doubt (P(Binomial(200, 0.05) &gt; 20) ≈ 0.001). The decile test alone has α/2, 5 expected at the
    /// bound; its Bonferroni split over nine correlated deciles makes it conservative (these seeds: 2), and without
    /// the split (each decile at α/2, not α/18) it flags 10, so the check allows 7. Half the sets are coarse (10 ns
    /// ticks, many ties).
    /// </summary>
    [Fact]
    public void Null_data_is_called_a_leak_no_more_often_than_alpha_allows()
    {
        int leaks = 0, decileFlags = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            (long[] a, long[] b) = Noisy(1000 + seed, 60, shift: 0, tick: seed % 2 == 0 ? 1 : 10);
            TimingAnalysisResult result = TimingAnalysis.Analyze(a, b, Loose with { Seed = seed });
            leaks += result.Leak ? 1 : 0;
            decileFlags += result.Deciles.Significant ? 1 : 0;
        }
        Assert.InRange(leaks, 0, 20);
        Assert.InRange(decileFlags, 0, 7);
    }

    [Fact]
    public void Mismatched_lengths_and_too_few_pairs_are_refused_with_the_counts()
    {
        var mismatch = Assert.Throws<ArgumentException>(() => TimingAnalysis.Analyze(new long[25], new long[24], Loose));
        Assert.Contains("25 and 24", mismatch.Message, StringComparison.Ordinal);
        var few = Assert.Throws<ArgumentException>(() => TimingAnalysis.Analyze(new long[19], new long[19], Loose));
        Assert.Contains("at least 20 pairs; got 19", few.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TimingCsv.WriteRtlf(TextWriter.Null, new long[2], new long[3]));
    }

    [Fact]
    public void The_rtlf_file_labels_class_a_x_and_class_b_y_in_nanoseconds()
    {
        using var text = new StringWriter();
        TimingCsv.WriteRtlf(text, [100, 120], [130, 95]);
        Assert.Equal("V1,V2\nX,100\nY,130\nX,120\nY,95\n", text.ToString());
    }

    [Fact]
    public void The_tlsfuzzer_file_has_class_names_then_one_row_per_pair_in_seconds()
    {
        using var text = new StringWriter();
        TimingCsv.WriteTlsfuzzer(text, [1234, 1_500_000_000], [98_765, 7], "valid", "bad-key");
        Assert.Equal("valid,bad-key\n0.000001234,0.000098765\n1.500000000,0.000000007\n", text.ToString());
        Assert.Equal("-0.000000005", TimingCsv.Seconds(-5));
        Assert.Equal("-9223372036.854775808", TimingCsv.Seconds(long.MinValue));
    }

    private const long NoiseScale = 1000;

    /// <summary>
    /// n pairs of a base time plus independent exponential noise (scale 1 µs), B later by <paramref name="shift"/> ns,
    /// times rounded down to <paramref name="tick"/> ns.
    /// </summary>
    private static (long[] A, long[] B) Noisy(int seed, int n, long shift, int tick = 1)
    {
        var random = new Random(seed);
        long Time() => (50_000 + (long)(-NoiseScale * Math.Log(1 - random.NextDouble()))) / tick * tick;
        long[] a = new long[n], b = new long[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = Time();
            b[i] = Time() + shift;
        }
        return (a, b);
    }

    /// <summary>P(Binomial(n, p) ≥ k).</summary>
    private static double BinomialAtLeast(int n, double p, int k)
    {
        double sum = 0;
        for (int i = k; i <= n; i++)
        {
            double logTerm = LogChoose(n, i) + (i == 0 ? 0 : i * Math.Log(p)) + (n - i == 0 ? 0 : (n - i) * Math.Log(1 - p));
            sum += Math.Exp(logTerm);
        }
        return sum;
    }

    private static double LogChoose(int n, int k) => Enumerable.Range(1, k).Sum(i => Math.Log((double)(n - k + i) / i));

    /// <summary>max_j |F̂(j) − F(j)| for draws of 1-based indices against the exact distribution function.</summary>
    private static double MaxCdfGap(int[] draws, double[] exactCdf)
    {
        int[] counts = new int[exactCdf.Length + 1];
        foreach (int j in draws)
        {
            counts[j]++;
        }
        double gap = 0, cumulative = 0;
        for (int j = 1; j <= exactCdf.Length; j++)
        {
            cumulative += counts[j];
            gap = Math.Max(gap, Math.Abs(cumulative / draws.Length - exactCdf[j - 1]));
        }
        return gap;
    }
}
