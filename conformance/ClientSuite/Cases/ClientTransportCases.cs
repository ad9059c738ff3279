using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// Transports (docs/protocol.md §6, §6.1): each framing the shim claims, over TCP and WebSocket, carries a handshake
/// and a call; and a frame header announcing gigabytes is not believed.
/// </summary>
internal static class ClientTransportCases
{
    /// <summary>Every framing (docs/protocol.md §6, §6.1) over each of TCP and WebSocket: CTR-001 to CTR-014.</summary>
    private static readonly string[] Transports =
    [
        .. new[] { "tcp", "ws" }.SelectMany(carrier => new[] { "abridged", "intermediate", "padded", "full", "obfuscated-abridged",
            "obfuscated-intermediate", "obfuscated-padded" }.Select(framing => $"{carrier}/{framing}")),
    ];

    public static IEnumerable<ClientCase> All() =>
    [
        .. Transports.Select((transport, i) => Framing($"CTR-{i + 1:D3}", transport, transport.Contains("obfuscated") ? "§6.1" : "§6")),
        new("CTR-015", "transport", RequirementLevel.Must,
            "A frame header announcing more than the client accepts closes the connection; the client does not allocate what it announces.", "§6",
            "the call answered by a frame header announcing about 2 GiB (64 MiB in abridged), and nothing after it",
            "the client closes that connection; its memory grows by less than 256 MiB", Oversized)
        {
            Passes = "the client closed the connection within the run, and the peak memory of the shim's process tree exceeds a control run's by less than 256 MiB",
        },
    ];

    private static ClientCase Framing(string id, string transport, string reference) =>
        new(id, "transport", RequirementLevel.Must, $"{transport}: the framing carries a handshake and a call.", reference,
            $"a correct server over {transport}", "a key, and the call's answer delivered", async run =>
            {
                if (!run.Shim.Transports.Contains(transport))
                {
                    return CaseOutcome.NotApplicable($"the shim does not offer {transport} (it offers {string.Join(", ", run.Shim.Transports)})");
                }

                ClientObservation o = await run.RunAsync("handshake,rpc", transport: transport);
                bool framed = o.Log.Connections.Contains(transport);
                return CaseOutcome.Check(framed && o.HasSession && Refusals.Answered(o),
                    $"{(framed ? $"the server read {transport}" : $"the server never read {transport}")}; {o.Summary()}");
            })
        {
            Passes = $"the server read {transport} from the client, the shim reported the server's key and delivered rpc_result NL; not offered: not applicable",
        };

    private static async Task<CaseOutcome> Oversized(ClientCaseRun run)
    {
        const string Scenario = "handshake,rpc";
        ClientObservation control = await run.RunAsync(Scenario);
        int connection = 0;
        ClientObservation o = await Refusals.RunAsync(run, async (_, session) =>
        {
            HostileConnection target = session.Connection!;
            connection = target.Number;
            await target.SendRawAsync(target.Channel.OversizedHeader());
        }, scenario: Scenario);
        long growth = o.PeakMiB - control.PeakMiB;
        bool closed = o.Log.Ended.Contains(connection);
        return CaseOutcome.Check(connection > 0 && closed && growth < 256,
            $"{(closed ? "the client closed the connection" : "the client kept the connection open")}; peak memory {o.PeakMiB} MiB against "
            + $"{control.PeakMiB} MiB without the header; {o.Summary()}");
    }
}
