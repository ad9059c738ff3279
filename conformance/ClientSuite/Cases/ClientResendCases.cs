using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// Re-sends (Albrecht, Mareková, Paterson, Stepanovs, IEEE S&amp;P 2022, attack 2; docs/protocol.md §3.9, §7): the server
/// provokes each re-send path it can and checks, with the key, that the client never encrypts two different
/// plaintexts under one (msg_id, seq_no) and never sends one msg_id with two different bodies.
/// </summary>
internal static class ClientResendCases
{
    private const string Expects = "no header (msg_id, seq_no) over two different plaintexts, no msg_id with two different bodies";

    private const string Passes = "the client sent the call again at least once (else not applicable), no two packets share a header with different "
        + "plaintexts (padding included: only a byte-identical packet may repeat a header), and no msg_id carries two different bodies";

    public static IEnumerable<ClientCase> All() =>
    [
        Provoke("CRS-001", "bad_server_salt for the call", run => Refusals.RunAsync(run, Refusals.BadServerSalt)),
        Provoke("CRS-002", "the server's clock 25 s ahead and bad_msg_notification 16 for the call",
            run => Refusals.RunAsync(run, Refusals.BadMsg(16), TimeSpan.FromSeconds(25))),
        Provoke("CRS-003", "bad_msg_notification 32 for the call", run => Refusals.RunAsync(run, Refusals.BadMsg(32))),
        Provoke("CRS-004", "msg_resend_req for the call instead of an answer", run => Refusals.RunAsync(run, Refusals.ResendRequest)),
        Provoke("CRS-005", "the connection dropped when the call arrives, before any answer",
            run => Refusals.RunAsync(run, (_, session) => session.Connection!.CloseAsync(), scenario: "handshake,rpc,rpc")),
    ];

    private static ClientCase Provoke(string id, string sends, Func<ClientCaseRun, Task<ClientObservation>> provoke) =>
        new(id, "resend", RequirementLevel.Must, "A re-send never puts a new plaintext under an old header, nor a new body under an old msg_id.",
            "§3.9, §7", sends, Expects, async run =>
            {
                ClientObservation o = await provoke(run);
                int calls = Refusals.Calls(o).Count;
                if (calls < 2)
                {
                    return calls == 0 ? CaseOutcome.NotReached($"the client never called; {o.Summary()}")
                        : CaseOutcome.NotApplicable($"the client never sent the call again, so no re-send to judge; {o.Summary()}");
                }

                string? violation = Violation(o.Log);
                return CaseOutcome.Check(violation is null, $"{calls} sends of the call; {violation ?? "every re-send under a fresh header"}; {o.Summary()}");
            })
        {
            Passes = Passes,
        };

    /// <summary>The first breach of the re-send rule in what the client sent, or null.</summary>
    public static string? Violation(WireLog log)
    {
        foreach (IGrouping<(long, int), ClientPacket> header in log.Packets.GroupBy(p => (p.Header.MsgId, p.Header.SeqNo)))
        {
            if (header.Select(p => Convert.ToHexString(p.Plaintext)).Distinct().Count() > 1)
            {
                return $"header (msg_id {header.Key.Item1:x16}, seq_no {header.Key.Item2}) encrypted over {header.Count()} different plaintexts";
            }
        }

        foreach (IGrouping<long, ClientMessage> message in log.Messages.Select(m => m.Message).GroupBy(m => m.MsgId))
        {
            if (message.Select(m => Convert.ToHexString(m.Body)).Distinct().Count() > 1)
            {
                return $"msg_id {message.Key:x16} sent with {message.Select(m => m.Name).Distinct().Count()} different bodies ({string.Join(", ", message.Select(m => m.Name).Distinct())})";
            }
        }

        return null;
    }
}
