using Testbed.Conformance.Lab.Experiments;

namespace Testbed.Conformance.Lab;

/// <summary>Every experiment, by name.</summary>
internal static class LabCatalog
{
    public static IReadOnlyList<LabExperiment> All { get; } =
    [
        new ReplayExperiment(),
        new ReorderingExperiment(),
        new DelayExperiment(),
        new ResendHeaderExperiment(),
        new TimingOracleExperiment(),
        new PaddingExtensionExperiment(),
        new CrossNodeReplayExperiment(),
    ];

    /// <summary>The experiments that run against one server: all but those that need a cluster.</summary>
    public static IReadOnlyList<LabExperiment> SingleServer { get; } = [.. All.Where(e => !e.NeedsCluster)];

    /// <summary>The fault profiles that weaken the message layer (the handshake's are the conformance catalogue's business).</summary>
    public static string[] MessageLayerFaults { get; } =
    [
        "accept-duplicates", "replay-window-one", "no-time-window", "reordering-tolerated", "salt-ignored", "session-id-unchecked",
        "resends-reuse-header", "length-before-mac", "length-timing-leak", "padding-unchecked",
    ];

    public static LabExperiment? Find(string name) => All.FirstOrDefault(e => e.Name == name);
}
