using Testbed.Conformance.Harness;
using Testbed.Conformance.Lab.Reports;
using Testbed.Conformance.Timing;
using Testbed.Protocol.Client;

namespace Testbed.Conformance.Lab;

/// <summary>Runs experiments: one against one target, or the matrix of every experiment against the clean reference server and its fault.</summary>
internal static class LabRunner
{
    /// <summary>
    /// Runs <paramref name="experiment"/> against <paramref name="target"/>, writing its report (and the proxy's capture)
    /// under <paramref name="directory"/> when given; with <paramref name="obfuscated"/>, the clients obfuscate their
    /// connections through the proxy; <paramref name="timing"/> sets how the timing experiment samples and judges.
    /// </summary>
    public static async Task<ExperimentResult> RunAsync(LabExperiment experiment, LabTarget target, LabBudget budget, string? directory,
        CancellationToken cancel, bool obfuscated = false, TimingSettings? timing = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(target);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var result = new ExperimentResult { Experiment = experiment, Target = target.Description };
        try
        {
            await using LabSession lab = await LabSession.OpenAsync(target, directory is null ? null : Path.Combine(directory, "capture.jsonl"), budget, cancel,
                obfuscated, timing);
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
            catch (IOException e)
            {
                // The server closed a connection the experiment still needed (lab matrix --every-fault once met this
                // for resend-header against reordering-tolerated, and the whole matrix ended with "the tool failed
                // unexpectedly"): the run cannot decide, and says why, and the matrix goes on.
                result.Notes.Add($"The experiment stopped before it finished: a connection failed ({e.Message}).");
                result.Stopped = true;
            }
            finally
            {
                NoteTheMovedClock(lab, result);
                NoteTheStrippedObfuscation(lab, result);
            }
        }
        catch (Exception e) when (e is RateLimitedException or TransportErrorException { Code: TransportErrors.RateLimited })
        {
            // A server that is not restarted between runs keeps its limits: a refusal the limit caused says nothing about the attack.
            result.Notes.Add($"The server's rate limit stopped the experiment ({e.Message}). Limits outlive a run: this run or an earlier one "
                + "against the same server may have used them up. Wait for the limit to refill and run again.");
            result.Stopped = true;
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

    /// <summary>
    /// The proxy read obfuscated connections as plain: the keys of both streams travel in each connection's init
    /// header, so anyone on the path can do the same (docs/protocol.md §6.1).
    /// </summary>
    private static void NoteTheStrippedObfuscation(LabSession lab, ExperimentResult result)
    {
        int stripped = lab.Proxy.Core.Connections.Values.Count(c => c.Obfuscated);
        if (stripped > 0)
        {
            result.Notes.Add($"The clients obfuscated their connections, and the proxy stripped the obfuscation from all {stripped} of them: "
                + "the AES-256-CTR keys of both directions are in each connection's 64-byte init header, in the clear, so the "
                + "capture holds the plain frames and the attacks ran on them as on plain connections. This is why obfuscation "
                + "is not encryption: it hides the protocol from a passive filter, and nothing from anyone who reads the first 64 bytes.");
        }
    }

    /// <summary>
    /// A server the lab did not start keeps its lab clock where the run left it: the clock never goes back (a server's
    /// msg_ids must keep growing), so the report says how far it moved, for whoever uses that server next.
    /// </summary>
    private static void NoteTheMovedClock(LabSession lab, ExperimentResult result)
    {
        if (!lab.Server.CanRestart && lab.ClockAdvance > TimeSpan.Zero)
        {
            result.Notes.Add($"This run moved the server's lab clock {lab.ClockAdvance.TotalSeconds:F0} s forward, and it stays there: a clock "
                + "never goes back. Later runs take the server's time from their handshake; other clients of the server "
                + "are refused (bad_msg_notification 16) until they take it too.");
        }
    }
}
