namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// dudect's statistics (Reparaz et al., DATE 2017, §2 steps 2 and 3) over one pair's measurements: Welch's t over
/// all of them, and again over the measurements at or below each of several percentiles of the pooled times. Timing
/// distributions have a long right tail (interrupts, preemption) whose variance drowns small differences; cropping it
/// at several levels, and keeping the largest |t|, finds a difference wherever in the distribution it is. The
/// percentiles are dudect's exponential ladder 1 − 0.5^(10k/100), taken at every tenth step: 1 − 2^−k, k = 1..10.
/// </summary>
internal static class LeakageAnalysis
{
    /// <summary>The cropping percentiles: 50 %, 75 %, 87.5 %, … 99.9 %.</summary>
    public static IReadOnlyList<double> CropPercentiles { get; } = [.. Enumerable.Range(1, 10).Select(k => 1 - Math.Pow(2, -k))];

    /// <summary>Runs every test over <paramref name="samples"/>.</summary>
    public static PairResult Analyse(ClassPair pair, TimingSamples samples)
    {
        long[] ns = samples.Nanoseconds;
        byte[] classes = samples.Classes;
        long[] pooled = [.. ns];
        Array.Sort(pooled);
        long?[] thresholds = [null, .. CropPercentiles.Select(p => (long?)pooled[(int)Math.Min(pooled.Length - 1, p * pooled.Length)])];
        var tests = new WelchTest[thresholds.Length];
        for (int k = 0; k < tests.Length; k++)
        {
            tests[k] = new WelchTest();
        }

        for (int i = 0; i < ns.Length; i++)
        {
            for (int k = 0; k < tests.Length; k++)
            {
                if (thresholds[k] is not { } limit || ns[i] <= limit)
                {
                    tests[k].Push(ns[i], classes[i]);
                }
            }
        }

        CropResult[] crops = [.. tests.Select((t, k) => new CropResult(
            k == 0 ? "all" : $"p{100 * CropPercentiles[k - 1]:0.##}", thresholds[k], t.Count(0), t.Count(1), t.Mean(0), t.Mean(1), t.T, t.StandardError))];
        return new PairResult(pair, samples, crops, Median(ns, classes, 0), Median(ns, classes, 1));
    }

    private static double Median(long[] ns, byte[] classes, int cls)
    {
        long[] own = [.. ns.Where((_, i) => classes[i] == cls)];
        Array.Sort(own);
        return own.Length == 0 ? double.NaN
            : own.Length % 2 == 1 ? own[own.Length / 2]
            : (own[(own.Length / 2) - 1] + own[own.Length / 2]) / 2.0;
    }
}
