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
    ];

    public static LabExperiment? Find(string name) => All.FirstOrDefault(e => e.Name == name);
}
