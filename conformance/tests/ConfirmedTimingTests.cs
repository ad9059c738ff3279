using Testbed.Conformance.Timing;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The rule that a timing leak must be found twice (docs/timing.md, "A leak must be found twice"), driven by a
/// scripted sampler: what each run's data shows is chosen, and the verdict, the number of runs and their seeds are
/// checked.
/// </summary>
public sealed class ConfirmedTimingTests
{
    private const double Alpha = 0.001;

    /// <summary>Every combination of what the two runs show: a leak is a leak only when both find it.</summary>
    [Theory]
    [InlineData(false, false, false, 1)]
    [InlineData(false, true, false, 1)] // a clean first run ends the measurement: the second is never taken
    [InlineData(true, false, false, 2)]
    [InlineData(true, true, true, 2)]
    public async Task A_leak_is_called_only_when_a_second_run_with_the_next_seed_finds_it_again(bool firstLeaks, bool secondLeaks,
        bool verdict, int runs)
    {
        var seeds = new List<int>();
        Task<TimedSamples> Sample(SamplingPlan plan)
        {
            seeds.Add(plan.Seed);
            return Task.FromResult(Samples(plan, leak: seeds.Count == 1 ? firstLeaks : secondLeaks));
        }

        ConfirmedTiming timing = await ConfirmedTiming.MeasureAsync(Sample, SamplingPlan.Quick with { Seed = 41 }, Alpha);

        Assert.Equal(verdict, timing.Leak);
        Assert.Equal(new[] { 41, 42 }[..runs], seeds);
        Assert.Equal(firstLeaks, timing.FirstAnalysis.Leak);
        Assert.Equal(runs == 2, timing.SecondAnalysis is not null);
        Assert.StartsWith(verdict ? "leak" : "no leak", timing.Summary, StringComparison.Ordinal);
        if (runs == 2)
        {
            Assert.Contains("seed 41, ", timing.Summary, StringComparison.Ordinal);
            Assert.Contains("seed 42, ", timing.Summary, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// 2,000 pairs under <paramref name="plan"/>: class A around 50 µs, class B 1 µs slower when
    /// <paramref name="leak"/>, else the same time plus a difference of +k or −k in turn (median 0, signs balanced).
    /// </summary>
    private static TimedSamples Samples(SamplingPlan plan, bool leak)
    {
        const int pairs = 2000;
        long[] a = new long[pairs], b = new long[pairs];
        var random = new Random(plan.Seed);
        for (int i = 0; i < pairs; i++)
        {
            a[i] = 50_000 + random.Next(5_000);
            long k = 1 + (i / 2 % 50);
            b[i] = a[i] + (leak ? 1_000 + k : i % 2 == 0 ? k : -k);
        }

        return new TimedSamples
        {
            A = a,
            B = b,
            Connection = new int[pairs],
            BFirst = [.. Enumerable.Range(0, pairs).Select(i => i % 2 == 0)],
            StartedAt = [.. Enumerable.Range(0, pairs).Select(i => i * 100_000L)],
            Answers = [new Dictionary<int, int> { [-404] = pairs }, new Dictionary<int, int> { [-404] = pairs }],
            Plan = plan,
            Channel = "a scripted sampler",
            Elapsed = TimeSpan.FromSeconds(1),
            StoppedBy = "the pair budget",
        };
    }
}
