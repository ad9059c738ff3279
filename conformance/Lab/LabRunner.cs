using Testbed.Conformance.Lab.Reports;

namespace Testbed.Conformance.Lab;

/// <summary>Runs experiments: one against one target, or the matrix of every experiment against the clean reference server and its fault.</summary>
internal static class LabRunner
{
    /// <summary>Runs <paramref name="experiment"/> against <paramref name="target"/>, writing its report (and the proxy's capture) under <paramref name="directory"/> when given.</summary>
    public static async Task<ExperimentResult> RunAsync(LabExperiment experiment, LabTarget target, LabBudget budget, string? directory,
        CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(target);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var result = new ExperimentResult { Experiment = experiment, Target = target.Description };
        await using (LabSession lab = await LabSession.OpenAsync(target, directory is null ? null : Path.Combine(directory, "capture.jsonl"), budget, cancel))
        {
            try
            {
                await experiment.RunAsync(lab, result, cancel);
            }
            catch (LabException e)
            {
                // A set-up step failed (a fault can break more than its own rule): what ran is kept, the verdict says so.
                result.Notes.Add($"The experiment stopped before it finished: {e.Message}");
                result.Stopped = true;
            }
        }

        if (directory is not null)
        {
            await LabReport.WriteAsync(result, directory, cancel);
        }

        return result;
    }

    /// <summary>One experiment against a fresh reference server, clean (<paramref name="fault"/> null) or with a fault profile.</summary>
    public static async Task<ExperimentResult> RunOnReferenceAsync(LabExperiment experiment, string? fault, LabBudget budget, string? directory,
        CancellationToken cancel)
    {
        await using LabTarget target = await LabTarget.StartReferenceAsync(fault);
        return await RunAsync(experiment, target, budget, directory, cancel);
    }
}
