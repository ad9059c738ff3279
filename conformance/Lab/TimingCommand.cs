using System.CommandLine;
using Testbed.Conformance.Timing;

namespace Testbed.Conformance.Lab;

/// <summary>
/// <c>lab timing</c>: the timing oracle with the sampling chosen on the command line (a pair budget, a time budget,
/// connections, warm-up, seed, α), against the reference server (clean or with a fault) or any server, judged by time
/// alone. What a researcher runs to measure one target properly, with every parameter and the raw samples in the
/// report (docs/timing.md).
/// </summary>
internal static class TimingCommand
{
    public static Command Create()
    {
        var targetOptions = new LabTargetOptions();
        var pairs = new Option<int>("--pairs") { Description = "The most pairs to keep", DefaultValueFactory = _ => 2_000_000 };
        var seconds = new Option<double>("--seconds") { Description = "The most seconds to sample (whichever budget ends first)", DefaultValueFactory = _ => 60 };
        var connections = new Option<int>("--connections") { Description = "Persistent connections to sample over", DefaultValueFactory = _ => 2 };
        var warmUp = new Option<int>("--warm-up") { Description = "Pairs sent first and discarded", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seeds the order within pairs and the packets drawn", DefaultValueFactory = _ => 1 };
        var alpha = new Option<double>("--alpha")
        {
            Description = "The false-positive rate the verdict is bounded by",
            DefaultValueFactory = _ => TimingSettings.DefaultAlpha,
        };
        var output = new Option<string?>("--out") { Description = "Where the report goes (default lab-reports/timing-FAULT|clean|target)" };
        var command = new Command("timing", "Measure the length oracle's timing (attack 3) with a chosen budget, judged by time alone. "
            + "Exit 0: no leak; 1: a leak; 3: inconclusive; 2: usage or connection error.")
        {
            pairs, seconds, connections, warmUp, seed, alpha, output,
        };
        targetOptions.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            double chosenSeconds = parse.GetValue(seconds);
            var plan = new SamplingPlan(parse.GetValue(pairs), TimeSpan.FromSeconds(double.IsFinite(chosenSeconds) ? Math.Min(chosenSeconds, 1e6) : -1),
                parse.GetValue(warmUp), parse.GetValue(connections), parse.GetValue(seed));
            double chosenAlpha = parse.GetValue(alpha);
            string? problem = plan.Problem() ?? (chosenAlpha is > 0 and < 0.5 ? null : $"--alpha must be above 0 and below 0.5, not {chosenAlpha}");
            if (problem is not null)
            {
                error.WriteLine($"error: {problem}");
                return ExitCodes.Usage;
            }

            try
            {
                await using LabTarget server = await targetOptions.OpenAsync(parse, cancel);
                string directory = parse.GetValue(output) ?? Path.Combine("lab-reports", $"timing-{targetOptions.Label(parse, server)}");
                LabExperiment experiment = LabCatalog.Find("timing-oracle")!;
                ExperimentResult result = await LabRunner.RunAsync(experiment, server, LabBudget.Full, directory, cancel,
                    timing: new TimingSettings(plan, TimingOnly: true, chosenAlpha));
                LabCommand.PrintResult(console, experiment, result, directory);
                return LabCommand.ExitFor([result.Verdict]);
            }
            catch (Exception e) when (LabTargetOptions.IsUserProblem(e))
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
