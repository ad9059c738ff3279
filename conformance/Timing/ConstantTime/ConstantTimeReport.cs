using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// Writes a run's report.md and report.json, and one CSV of raw measurements per pair (<c>index,class,ns</c>, class 0
/// or 1 as the report names them), so that the figures can be checked or analysed again elsewhere.
/// </summary>
internal static class ConstantTimeReport
{
    /// <summary>Writes the three kinds of file into <paramref name="directory"/>, creating it.</summary>
    public static void Write(string directory, RunEnvironment run, IReadOnlyList<PairResult> results, Conclusion conclusion, TimeSpan elapsed)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.md"), Markdown(run, results, conclusion, elapsed));
        File.WriteAllText(Path.Combine(directory, "report.json"), Json(run, results, conclusion, elapsed).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach ((string name, PairResult measurement) in Measurements(results))
        {
            WriteCsv(Path.Combine(directory, CsvName(name)), measurement.Samples);
        }
    }

    /// <summary>Every measurement in order, each under its name: a pair's, then its repeat's as "PAIR-again".</summary>
    private static IEnumerable<(string Name, PairResult Measurement)> Measurements(IReadOnlyList<PairResult> results) =>
        results.SelectMany(r => r.Repeat is null
            ? [(r.Pair.Name, r)]
            : new[] { (r.Pair.Name, r), (r.Pair.Name + "-again", r.Repeat) });

    private static string CsvName(string measurement) => measurement + ".csv";

    /// <summary>The console's line for one measurement, under <paramref name="name"/> (by default the pair's).</summary>
    public static string SummaryLine(PairResult r, string? name = null) => string.Create(CultureInfo.InvariantCulture,
        $"{name ?? r.Pair.Name} [{r.Pair.DecryptorName}]: max |t| {Math.Abs(r.Largest.T):F2} ({r.Largest.Label}), means {r.All.MeanA:F1}/{r.All.MeanB:F1} ns, "
        + $"detectable ≥ {r.All.SmallestDetectableNanoseconds:F2} ns (all) / {r.Largest.SmallestDetectableNanoseconds:F2} ns ({r.Largest.Label}): {Describe(r)}");

    /// <summary>The verdict in words, a control's in the words of what it shows.</summary>
    public static string Describe(PairResult r) => (r.Pair.Role, r.Judgement) switch
    {
        (PairRole.Judged, Verdict.Leak) when r.Repeat is not null => "LEAK, found again",
        (PairRole.Judged, _) when r.Repeat is not null => "cannot tell: a leak one measurement saw and the second did not",
        (PairRole.ShapeControl, Verdict.Leak) => "differ, as expected (the method sees the public shape early exit)",
        (PairRole.ShapeControl, _) => "NOT seen: the shape early exit should differ",
        (PairRole.PlantedControl, Verdict.Leak) => "planted leak found",
        (PairRole.PlantedControl, _) => "planted leak NOT found",
        (_, Verdict.Leak) => "LEAK",
        (_, Verdict.CannotTell) => "cannot tell",
        _ => "constant-time at this resolution",
    };

    private static string Markdown(RunEnvironment run, IReadOnlyList<PairResult> results, Conclusion conclusion, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine("# Constant-time check of MessageEnvelope.TryDecrypt (dudect-style)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**{conclusion.Text}** (exit {conclusion.ExitCode})").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- {run.MeasurementsPerClass:N0} measurements per class per pair, classes in random order (seed {run.Seed}); "
            + $"{TimingSampler.WarmUpRounds} × {TimingSampler.WarmUpPerRound:N0} warm-up calls discarded per pair; run time {elapsed.TotalSeconds:F1} s");
        md.AppendLine(CultureInfo.InvariantCulture, $"- {RunEnvironment.Machine}; AES-NI: {RunEnvironment.AesHardwareAccelerated}; load average at start {run.LoadAverage}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- clock: Stopwatch.GetTimestamp, {RunEnvironment.ClockFrequency:N0} ticks/s, smallest step between two readings "
            + $"{run.ClockStepNanoseconds:F0} ns; one call per measurement; thread priority {run.ThreadPriority}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- thresholds: |t| > {CropResult.LeakT} leak (dudect), {PairResult.CannotTellT} < |t| ≤ {CropResult.LeakT} cannot tell; "
            + $"smallest detectable difference = {CropResult.LeakT} × standard error of the difference of the means").AppendLine();
        md.AppendLine("| pair | role | decryptor | class A / class B | n per class | mean A / B (ns) | median A / B (ns) | \\|t\\| all | max \\|t\\| (crop) "
            + "| detectable ≥ (all / crop, ns) | Gen0, bytes allocated | verdict |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach ((string name, PairResult r) in Measurements(results))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {r.Pair.Role} | {r.Pair.DecryptorName} | `{r.Pair.Classes.A}` / `{r.Pair.Classes.B}` "
                + $"| {r.All.CountA:N0} / {r.All.CountB:N0} | {r.All.MeanA:F1} / {r.All.MeanB:F1} | {r.MedianA:F0} / {r.MedianB:F0} | {Math.Abs(r.All.T):F2} "
                + $"| {Math.Abs(r.Largest.T):F2} ({r.Largest.Label}) | {r.All.SmallestDetectableNanoseconds:F2} / {r.Largest.SmallestDetectableNanoseconds:F2} "
                + $"| {r.Samples.Gen0Collections}, {r.Samples.AllocatedBytes} | {Describe(r)} |");
        }

        md.AppendLine().AppendLine("## Why each pair");
        foreach (PairResult r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{r.Pair.Name}`: {r.Pair.Why}");
        }

        md.AppendLine().AppendLine("## Every crop").AppendLine();
        md.AppendLine("| pair | crop | kept ≤ (ns) | n A / B | mean A / B (ns) | t | detectable ≥ (ns) |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach ((string name, PairResult r) in Measurements(results))
        {
            foreach (CropResult c in r.Crops)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {c.Label} | {c.ThresholdNanoseconds?.ToString(CultureInfo.InvariantCulture) ?? "–"} "
                    + $"| {c.CountA:N0} / {c.CountB:N0} | {c.MeanA:F1} / {c.MeanB:F1} | {c.T:F2} | {c.SmallestDetectableNanoseconds:F2} |");
            }
        }

        md.AppendLine().AppendLine("Method, classes and how to read the figures: docs/timing.md, \"Constant time in process\".");
        return md.ToString();
    }

    private static JsonObject Json(RunEnvironment run, IReadOnlyList<PairResult> results, Conclusion conclusion, TimeSpan elapsed) => new()
    {
        ["conclusion"] = conclusion.Text,
        ["exit_code"] = conclusion.ExitCode,
        ["measurements_per_class"] = run.MeasurementsPerClass,
        ["seed"] = run.Seed,
        ["run_seconds"] = elapsed.TotalSeconds,
        ["machine"] = RunEnvironment.Machine,
        ["aes_ni"] = RunEnvironment.AesHardwareAccelerated,
        ["load_average"] = run.LoadAverage,
        ["clock_ticks_per_second"] = RunEnvironment.ClockFrequency,
        ["clock_step_ns"] = run.ClockStepNanoseconds,
        ["thread_priority"] = run.ThreadPriority.ToString(),
        ["leak_t"] = CropResult.LeakT,
        ["cannot_tell_t"] = PairResult.CannotTellT,
        ["pairs"] = new JsonArray([.. results.Select(r => (JsonNode)PairJson(r.Pair.Name, r))]),
    };

    /// <summary>One measurement's figures, with its repeat's nested under "repeat".</summary>
    private static JsonObject PairJson(string name, PairResult r) => new()
    {
        ["name"] = name,
        ["role"] = r.Pair.Role.ToString(),
        ["decryptor"] = r.Pair.DecryptorName,
        ["class_0"] = r.Pair.Classes.A,
        ["class_1"] = r.Pair.Classes.B,
        ["why"] = r.Pair.Why,
        ["median_ns"] = new JsonArray(Number(r.MedianA), Number(r.MedianB)),
        ["max_abs_t"] = Number(Math.Abs(r.Largest.T)),
        ["max_crop"] = r.Largest.Label,
        ["verdict"] = r.Verdict.ToString(),
        ["judgement"] = r.Judgement.ToString(),
        ["reading"] = Describe(r),
        ["gen0_collections"] = r.Samples.Gen0Collections,
        ["allocated_bytes"] = r.Samples.AllocatedBytes,
        ["measure_seconds"] = r.Samples.Elapsed.TotalSeconds,
        ["csv"] = CsvName(name),
        ["crops"] = new JsonArray([.. r.Crops.Select(c => (JsonNode)new JsonObject
        {
            ["crop"] = c.Label,
            ["threshold_ns"] = c.ThresholdNanoseconds,
            ["n"] = new JsonArray(c.CountA, c.CountB),
            ["mean_ns"] = new JsonArray(Number(c.MeanA), Number(c.MeanB)),
            ["t"] = Number(c.T),
            ["standard_error_ns"] = Number(c.StandardError),
            ["smallest_detectable_ns"] = Number(c.SmallestDetectableNanoseconds),
        })]),
        ["repeat"] = r.Repeat is null ? null : PairJson(name + "-again", r.Repeat),
    };

    // JSON has no NaN or infinity: a statistic that is not a number (too few measurements kept) is null.
    private static JsonNode? Number(double value) => double.IsFinite(value) ? value : null;

    private static void WriteCsv(string path, TimingSamples samples)
    {
        using var writer = new StreamWriter(path, append: false, Encoding.ASCII, bufferSize: 1 << 16);
        writer.WriteLine("index,class,ns");
        for (int i = 0; i < samples.Nanoseconds.Length; i++)
        {
            writer.Write(i.ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(samples.Classes[i] == 0 ? '0' : '1');
            writer.Write(',');
            writer.WriteLine(samples.Nanoseconds[i].ToString(CultureInfo.InvariantCulture));
        }
    }
}
