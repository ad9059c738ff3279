using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Testbed.Conformance.Lab;
using Testbed.Conformance.Timing.Statistics;

namespace Testbed.Conformance.Timing;

/// <summary>
/// What a timing run puts into a lab report, so that a reader can check the verdict rather than trust it: every
/// parameter and statistic in the JSON; the raw samples as CSV, in our own layout (order, connection, class) and in
/// the layouts RTLF and tlsfuzzer's analysis read; plots of the distributions, of the paired differences and of the
/// samples over the run.
/// </summary>
internal static class TimingReport
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// Adds the first run's data, files and plots to <paramref name="result"/>, and the second run's analysis when a
    /// leak the first found was measured again (<see cref="ConfirmedTiming"/>).
    /// </summary>
    public static void AddTo(ExperimentResult result, ConfirmedTiming timing, Drift drift, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(timing);
        (TimedSamples samples, TimingAnalysisResult analysis) = (timing.First, timing.FirstAnalysis);
        result.Data["timing"] = new JsonObject
        {
            ["classes"] = new JsonArray(LengthOracleClasses.ClassA, LengthOracleClasses.ClassB),
            ["plan"] = JsonSerializer.SerializeToNode(samples.Plan, Json),
            ["channel"] = samples.Channel,
            ["pairs"] = samples.Pairs,
            ["sampling_seconds"] = samples.Elapsed.TotalSeconds,
            ["stopped_by"] = samples.StoppedBy,
            ["answers_a"] = samples.DescribeAnswers(0),
            ["answers_b"] = samples.DescribeAnswers(1),
            ["analysis"] = JsonSerializer.SerializeToNode(analysis, Json),
            ["drift"] = JsonSerializer.SerializeToNode(drift, Json),
            ["second_run"] = timing.Second is null ? null : new JsonObject
            {
                ["plan"] = JsonSerializer.SerializeToNode(timing.Second.Plan, Json),
                ["pairs"] = timing.Second.Pairs,
                ["sampling_seconds"] = timing.Second.Elapsed.TotalSeconds,
                ["analysis"] = JsonSerializer.SerializeToNode(timing.SecondAnalysis, Json),
            },
            ["leak"] = timing.Leak,
        };
        result.Files.Add(new LabFile("samples.csv", "every kept sample in the order sent: pair, connection, place in its pair, class, nanoseconds, "
            + "and when its pair started", writer => WriteSamples(writer, samples)));
        result.Files.Add(new LabFile("rtlf.csv", "the samples in RTLF's input layout (docs/timing.md)", writer => TimingCsv.WriteRtlf(writer, samples.A, samples.B)));
        result.Files.Add(new LabFile("timing.csv", "the pairs in tlsfuzzer's timing.csv layout, for its analysis.py (docs/timing.md)",
            writer => TimingCsv.WriteTlsfuzzer(writer, samples.A, samples.B)));
        result.Plots.Add(TimingPlots.Distributions(samples, title));
        result.Plots.Add(TimingPlots.Differences(samples, analysis));
        result.Plots.Add(TimingPlots.OverTime(samples));
    }

    private static void WriteSamples(TextWriter writer, TimedSamples samples)
    {
        writer.WriteLine("index,pair,connection,place,class,ns,pair_started_ns");
        for (int pair = 0, index = 0; pair < samples.Pairs; pair++)
        {
            bool bFirst = samples.BFirst[pair];
            foreach (int cls in bFirst ? (int[])[1, 0] : [0, 1])
            {
                int place = (cls == 1) == bFirst ? 1 : 2;
                long ns = cls == 0 ? samples.A[pair] : samples.B[pair];
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{index++},{pair},{samples.Connection[pair]},{place},{(cls == 0 ? 'A' : 'B')},{ns},{samples.StartedAt[pair]}"));
            }
        }
    }
}
