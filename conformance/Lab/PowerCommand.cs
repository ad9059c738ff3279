using System.CommandLine;
using System.Globalization;
using Testbed.Conformance.Timing;

namespace Testbed.Conformance.Lab;

/// <summary>
/// <c>lab power</c>: the timing detector against planted leaks of several sizes at several pair budgets, repeated,
/// and against the clean server, repeated: detection rates, the observed false-positive rate beside α, and the power
/// curve (docs/timing.md).
/// </summary>
internal static class PowerCommand
{
    public static Command Create()
    {
        var sizes = new Option<string>("--sizes") { Description = "Leak sizes in ns, comma-separated", DefaultValueFactory = _ => "30,100,300,1000,3000" };
        var budgets = new Option<string>("--budgets") { Description = "Pair budgets, comma-separated", DefaultValueFactory = _ => "2000,20000,200000" };
        var repeats = new Option<int>("--repeats") { Description = "Runs per size and budget", DefaultValueFactory = _ => 10 };
        var cleanRepeats = new Option<int>("--clean-repeats") { Description = "Runs per budget against the clean server", DefaultValueFactory = _ => 20 };
        var seconds = new Option<double>("--seconds") { Description = "Each run's time cap", DefaultValueFactory = _ => 120 };
        var connections = new Option<int>("--connections") { Description = "Persistent connections per run", DefaultValueFactory = _ => 2 };
        var warmUp = new Option<int>("--warm-up") { Description = "Warm-up pairs per run", DefaultValueFactory = _ => 2000 };
        var alpha = new Option<double>("--alpha") { Description = "The verdict's α", DefaultValueFactory = _ => TimingSettings.DefaultAlpha };
        var output = new Option<string>("--out") { Description = "Where the report goes", DefaultValueFactory = _ => Path.Combine("lab-reports", "power") };
        var command = new Command("power", "Measure the timing detector's power against planted leaks (length-timing-leak) of several sizes and "
            + "its false-positive rate on the clean server. Exit 0: done; 1: the clean server was called leaky more often than α explains "
            + "(binomial p < 0.001); 2: usage error.")
        {
            sizes, budgets, repeats, cleanRepeats, seconds, connections, warmUp, alpha, output,
        };
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            long[]? leakSizes = ParseList(parse.GetValue(sizes)!, 1, 10_000_000);
            long[]? pairBudgets = ParseList(parse.GetValue(budgets)!, 20, SamplingPlan.MaxPairs);
            var plan = new SamplingPlan(SamplingPlan.MaxPairs, TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(seconds), -1, 1e6)),
                parse.GetValue(warmUp), parse.GetValue(connections));
            double chosenAlpha = parse.GetValue(alpha);
            string? problem = leakSizes is null ? "--sizes must be whole nanoseconds from 1 to 10000000, comma-separated"
                : pairBudgets is null ? $"--budgets must be pair counts from 20 to {SamplingPlan.MaxPairs}, comma-separated"
                : parse.GetValue(repeats) is < 1 or > 1000 || parse.GetValue(cleanRepeats) is < 0 or > 1000 ? "--repeats must be 1 to 1000 and --clean-repeats 0 to 1000"
                : chosenAlpha is <= 0 or >= 0.5 ? $"--alpha must be above 0 and below 0.5, not {chosenAlpha}"
                : plan.Problem();
            if (problem is not null)
            {
                error.WriteLine($"error: {problem}");
                return ExitCodes.Usage;
            }

            var study = new PowerStudy(leakSizes!, [.. pairBudgets!.Select(b => (int)b)], parse.GetValue(repeats), parse.GetValue(cleanRepeats), plan, chosenAlpha);
            var started = System.Diagnostics.Stopwatch.StartNew();
            List<PowerRun> runs;
            try
            {
                runs = await study.RunAsync(run => console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(run.LeakNanoseconds == 0 ? "clean" : $"{run.LeakNanoseconds} ns"),-8} {run.PairBudget,9:N0} pairs #{run.Repeat,-3} "
                    + $"{(run.Leak ? "LEAK" : "none"),-4}  median {run.MedianDifference,8:F0} ns [{run.Low:F0}, {run.High:F0}]  {run.Pairs:N0} pairs in {run.Seconds:F1} s")), cancel);
            }
            catch (Exception e) when (LabTargetOptions.IsUserProblem(e) || e is Harness.RateLimitedException)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            string directory = parse.GetValue(output)!;
            PowerReport.Write(directory, study, runs, started.Elapsed);
            int falsePositives = runs.Count(r => r.LeakNanoseconds == 0 && r.Leak), cleanRuns = runs.Count(r => r.LeakNanoseconds == 0);
            bool tooMany = PowerReport.FalsePositivesExceedAlpha(falsePositives, cleanRuns, chosenAlpha);
            console.WriteLine($"clean server called leaky in {falsePositives} of {cleanRuns} runs (α = {chosenAlpha}){(tooMany ? ": more than α explains" : "")}; "
                + $"report: {Path.Combine(directory, "report.md")}");
            return tooMany ? ExitCodes.Mismatch : ExitCodes.Success;
        });
        return command;
    }

    private static long[]? ParseList(string text, long min, long max)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        long[] values = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max)
            {
                return null;
            }
        }

        return values.Length == 0 ? null : values;
    }
}
