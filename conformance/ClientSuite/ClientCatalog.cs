using Testbed.Conformance.ClientSuite.Cases;

namespace Testbed.Conformance.ClientSuite;

/// <summary>Every client case, in id order within each category (docs/client-conformance.md).</summary>
internal static class ClientCatalog
{
    public static IReadOnlyList<ClientCase> All { get; } = Build();

    public static ClientCase? Find(string id) => All.FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase));

    private static ClientCase[] Build()
    {
        ClientCase[] all =
        [
            .. ClientHandshakeCases.All(), .. ClientEnvelopeCases.All(), .. ClientMsgIdCases.All(), .. ClientSeqNoCases.All(),
            .. ClientServiceCases.All(), .. ClientResendCases.All(), .. ClientTransportCases.All(),
        ];
        string? duplicate = all.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1)?.Key;
        return duplicate is null ? all : throw new InvalidOperationException($"Client case id {duplicate} is used twice.");
    }
}
