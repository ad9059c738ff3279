using System.Text.Json.Nodes;

namespace Testbed.Conformance.Lab;

/// <summary>An experiment's conclusion about the server it ran against.</summary>
internal enum LabVerdict
{
    /// <summary>The attack worked in at least one case.</summary>
    Vulnerable,

    /// <summary>The attack failed in every case that ran.</summary>
    NotVulnerable,

    /// <summary>The experiment could not decide (a needed facility was missing, or the evidence was unclear).</summary>
    Inconclusive,
}

/// <summary>One row of an experiment's outcome table.</summary>
/// <param name="Case">What was done.</param>
/// <param name="Outcome">What happened, in a few words ("processed again", "refused: bad_msg_notification 16").</param>
/// <param name="AttackWorked">True when the case shows the weakness; null when it was skipped or is informational.</param>
/// <param name="Evidence">What was seen that supports the outcome.</param>
internal sealed record LabCase(string Case, string Outcome, bool? AttackWorked, string Evidence);

/// <summary>A plot for the report: a file name and how to draw it (PNG and SVG are both written).</summary>
internal sealed record LabPlot(string Name, string Caption, Action<ScottPlot.Plot> Draw);

/// <summary>A raw-data file for the report (samples as CSV, for other tools to check the verdict): its name, what it holds, and how to write it.</summary>
internal sealed record LabFile(string Name, string Caption, Action<TextWriter> Write);

/// <summary>What one run of an experiment found.</summary>
internal sealed class ExperimentResult
{
    public required LabExperiment Experiment { get; init; }

    public required string Target { get; init; }

    public List<LabCase> Cases { get; } = [];

    /// <summary>The raw measurements, written to the JSON report as they are.</summary>
    public JsonObject Data { get; } = [];

    public List<LabPlot> Plots { get; } = [];

    /// <summary>Raw data too large for the JSON report, written beside it.</summary>
    public List<LabFile> Files { get; } = [];

    /// <summary>Anything a reader should know about this run (a case skipped and why, a caveat).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Whether a set-up step failed before every case ran (see <see cref="Notes"/>).</summary>
    public bool Stopped { get; set; }

    /// <summary>
    /// Vulnerable when any case shows the weakness; not vulnerable when cases ran, none did, and the experiment
    /// finished; inconclusive otherwise.
    /// </summary>
    public LabVerdict Verdict =>
        Cases.Any(c => c.AttackWorked == true) ? LabVerdict.Vulnerable
        : Cases.Any(c => c.AttackWorked == false) && !Stopped ? LabVerdict.NotVulnerable
        : LabVerdict.Inconclusive;

    public LabCase Add(string @case, string outcome, bool? attackWorked, string evidence)
    {
        var row = new LabCase(@case, outcome, attackWorked, evidence);
        Cases.Add(row);
        return row;
    }
}

/// <summary>
/// One published attack as a repeatable experiment: what it does (its procedure, for the report), the fault profile
/// of the reference server that reproduces the weakness it needs, and the paper it comes from.
/// </summary>
/// <param name="name">The name on the command line.</param>
/// <param name="title">The report's title.</param>
/// <param name="fault">The reference server's fault profile that has the weakness (what the attack must succeed against).</param>
/// <param name="reference">Where the attack is published.</param>
/// <param name="procedure">What the experiment does, step by step, for the report.</param>
/// <param name="moreFaults">Further profiles with the same weakness (the timing oracle's planted leak of known size).</param>
internal abstract class LabExperiment(string name, string title, string fault, string reference, string procedure, params string[] moreFaults)
{
    /// <summary>The name on the command line.</summary>
    public string Name { get; } = name;

    public string Title { get; } = title;

    /// <summary>The reference server's fault profile that has the weakness (what the attack must succeed against).</summary>
    public string Fault { get; } = fault;

    /// <summary>Every fault profile with the weakness, <see cref="Fault"/> first: the attack must succeed against each.</summary>
    public IReadOnlyList<string> Faults { get; } = [fault, .. moreFaults];

    /// <summary>Where the attack is published.</summary>
    public string Reference { get; } = reference;

    /// <summary>What the experiment does, step by step, for the report.</summary>
    public string Procedure { get; } = procedure;

    /// <summary>
    /// Whether the experiment needs several nodes of one cluster (--target and --node): such an experiment is left
    /// out of runs against one server (<c>lab run all</c> without --node, <c>lab matrix</c>) and run by ./test.sh
    /// against the cluster it brings up (docs/cluster.md).
    /// </summary>
    public virtual bool NeedsCluster => false;

    public abstract Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel);
}

/// <summary>An experiment could not be carried out (the server did not answer a set-up step as it must): not a verdict.</summary>
internal sealed class LabException(string message) : Exception(message);
