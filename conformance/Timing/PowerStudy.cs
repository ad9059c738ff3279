using Testbed.Conformance.Harness;
using Testbed.Conformance.Lab;
using Testbed.Conformance.Timing.Statistics;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Timing;

/// <summary>
/// The detector's sensitivity measured, not claimed: repeated timing runs against the reference server with a planted
/// leak of each size (length-timing-leak=N), at each pair budget, give the detection rate (the power) per size and
/// budget; repeated runs against the clean server give the observed false-positive rate, to set beside α. One server
/// per size serves all of that size's runs, each on connections and a seed of its own.
/// </summary>
/// <param name="Sizes">Leak sizes in ns.</param>
/// <param name="PairBudgets">Pair budgets.</param>
/// <param name="Repeats">Runs per size and budget.</param>
/// <param name="CleanRepeats">Runs per budget against the clean server.</param>
/// <param name="Plan">The rest of each run's plan: its time cap, warm-up and connections (its pair budget and seed are set per run).</param>
/// <param name="Alpha">The verdict's α.</param>
internal sealed record PowerStudy(long[] Sizes, int[] PairBudgets, int Repeats, int CleanRepeats, SamplingPlan Plan, double Alpha)
{
    /// <summary>Runs the study, reporting each run to <paramref name="progress"/> as it ends.</summary>
    public async Task<List<PowerRun>> RunAsync(Action<PowerRun> progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var runs = new List<PowerRun>();
        foreach (long size in Sizes.Prepend(0))
        {
            await using LabTarget server = await LabTarget.StartReferenceAsync(size == 0 ? null : $"length-timing-leak={size}");
            var target = new Target(new Uri($"tcp://{server.Tcp.Host}:{server.Tcp.Port}"), TransportFraming.Intermediate, server.Key, 1);
            SharedKey shared = await SharedKey.CreateAsync(target, cancel);
            using var key = AuthKey.FromBytes(shared.Key);
            var classes = new LengthOracleClasses(key);
            foreach (int budget in PairBudgets)
            {
                for (int repeat = 1; repeat <= (size == 0 ? CleanRepeats : Repeats); repeat++)
                {
                    SamplingPlan plan = Plan with { Pairs = budget, Seed = HashCode.Combine(size, budget, repeat) };
                    TimedSamples samples = await TimingMeasurement.SampleOverTcpAsync(server.Tcp.Host, server.Tcp.Port, TransportFraming.Intermediate,
                        classes, plan, cancel);
                    TimingAnalysisResult analysis = TimingAnalysis.Analyze(samples.A, samples.B, new TimingAnalysisOptions(Alpha, Seed: plan.Seed));
                    ConfidenceInterval median = analysis.MedianOfDifferences;
                    var run = new PowerRun(size, budget, repeat, samples.Pairs, samples.Elapsed.TotalSeconds, analysis.Leak, median.Estimate, median.Low,
                        median.High, analysis.SmallestDetectableNs);
                    runs.Add(run);
                    progress(run);
                }
            }
        }

        return runs;
    }
}
