using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite.Cases;

namespace Testbed.Conformance.ServerSuite;

/// <summary>Every case, in id order, and the filters of the command line.</summary>
internal static class ConformanceCatalog
{
    /// <summary>All cases.</summary>
    public static IReadOnlyList<ConformanceCase> All { get; } = Build();

    /// <summary>The case with this id, or null.</summary>
    public static ConformanceCase? Find(string id) => All.FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase));

    private static ConformanceCase[] Build()
    {
        ConformanceCase[] all =
        [
            .. HandshakeCases.All(), .. EnvelopeCases.All(), .. MsgIdCases.All(), .. SeqNoCases.All(), .. SessionCases.All(),
            .. ServiceCases.All(), .. ApiCases.All(), .. TransportCases.All(), .. RobustnessCases.All(), .. TimingCases.All(),
        ];
        string? duplicate = all.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1)?.Key;
        return duplicate is null ? all : throw new InvalidOperationException($"Case id {duplicate} is used twice.");
    }
}
