using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>seq_no and acknowledgements (docs/protocol.md §3.3, §3.9), and containers from the server.</summary>
internal static class ClientSeqNoCases
{
    public static IEnumerable<ClientCase> All() =>
    [
        new("CSQ-001", "seqno", RequirementLevel.Must, "msgs_ack is not content-related: its seq_no is even (mtcute 0.30.3 sends it odd).", "§3.3",
            "a correct session: a call answered with rpc_result, then 2 s idle", "every msgs_ack the client sends has an even seq_no", AcksEven)
        {
            Passes = "at least one msgs_ack was sent and every one (alone or in a container) has an even seq_no; none sent: not applicable (CSQ-002 judges that)",
        },
        new("CSQ-002", "seqno", RequirementLevel.Must,
            "Content-related server messages are acknowledged: at the latest with the client's next message (acks may wait to be sent together).",
            "§3.3, §3.9", "a correct session: a call answered with rpc_result, 2 s idle, then a ping", "a msgs_ack naming the rpc_result's msg_id", AcksAnswer)
        {
            Passes = "a msgs_ack of the client (alone or in a container, by the time its ping has been answered) names the msg_id of the rpc_result",
        },
        new("CSQ-003", "seqno", RequirementLevel.Must,
            "The client's seq_no: odd for content-related messages and even otherwise, twice the content-related messages sent before it.", "§3.3",
            "a correct session: pings and a call", "every client message's seq_no follows the rule", SeqNoRule)
        {
            Passes = "in msg_id order, each content-related message has seq_no 2n+1 and each other 2n, n the content-related messages before it (re-sends of one msg_id count once)",
        },
        new("CSQ-004", "seqno", RequirementLevel.Should, "A server container must not hold a message with a msg_id above its own.", "§3.8",
            "a forged answer inside a msg_container whose own msg_id is below the answer's, 300 ms before the correct answer",
            "the container is dropped: the forged answer not delivered, not acknowledged",
            run => Smuggling.RunAsync(run, async (request, session) =>
            {
                long container = session.NextMsgId(), inner = session.NextMsgId();
                await session.SendAsync(MessageContainer.Build([(inner, 1001, Smuggling.ForgedAnswer(request))]), new Seal { MsgId = container, ContentRelated = false });
                return inner;
            }))
        {
            Passes = "the shim delivered rpc_result NL and never XX, and no msgs_ack of the client names the forged msg_id",
        },
    ];

    private static Task<ClientObservation> CallAndWait(ClientCaseRun run) => run.RunAsync("handshake,rpc,idle:2");

    private static IEnumerable<ClientMessage> Acks(ClientObservation o) =>
        o.Log.Messages.Select(m => m.Message).Where(m => m.Object?.Combinator.Name == "msgs_ack");

    private static async Task<CaseOutcome> AcksEven(ClientCaseRun run)
    {
        ClientObservation o = await CallAndWait(run);
        ClientMessage[] acks = [.. Acks(o)];
        if (acks.Length == 0)
        {
            return CaseOutcome.NotApplicable($"the client sent no msgs_ack; {o.Summary()}");
        }

        ClientMessage[] odd = [.. acks.Where(a => (a.SeqNo & 1) == 1)];
        return CaseOutcome.Check(odd.Length == 0, $"{acks.Length} msgs_ack, {odd.Length} with an odd seq_no"
            + (odd.Length > 0 ? $" (seq_no {odd[0].SeqNo})" : "") + $"; {o.Summary()}");
    }

    private static async Task<CaseOutcome> AcksAnswer(ClientCaseRun run)
    {
        long answer = 0;
        var script = new HostileScript
        {
            OnMessage = async (message, session) =>
            {
                if (message.Query?.Combinator.Name != "help.getNearestDc" || answer != 0)
                {
                    return false;
                }

                answer = await session.SendAsync(Responder.RpcResult(message.MsgId, Responder.NearestDc(Responder.Country)));
                return true;
            },
        };
        ClientObservation o = await run.RunAsync("handshake,rpc,idle:2,ping:1", script);
        return answer == 0 ? CaseOutcome.NotReached($"the client never called; {o.Summary()}")
            : CaseOutcome.Check(Smuggling.Acknowledged(o, answer), $"{(Smuggling.Acknowledged(o, answer) ? "acknowledged" : "never acknowledged")} "
                + $"rpc_result {answer:x16}; {o.Summary()}");
    }

    private static async Task<CaseOutcome> SeqNoRule(ClientCaseRun run)
    {
        ClientObservation o = await run.RunAsync("handshake,ping:2,rpc,idle:1");
        var seen = new HashSet<long>();
        int contentRelated = 0;
        foreach (ClientMessage m in o.Log.Messages.Select(m => m.Message).OrderBy(m => m.MsgId))
        {
            if (!seen.Add(m.MsgId))
            {
                continue; // a re-send keeps its seq_no
            }

            int expected = m.IsContentRelated ? (2 * contentRelated) + 1 : 2 * contentRelated;
            if (m.SeqNo != expected)
            {
                return CaseOutcome.Fail($"{m.Name} {m.MsgId:x16} has seq_no {m.SeqNo}, the rule gives {expected}; {o.Summary()}");
            }

            contentRelated += m.IsContentRelated ? 1 : 0;
        }

        return seen.Count == 0 ? CaseOutcome.NotReached($"no encrypted message; {o.Summary()}")
            : CaseOutcome.Pass($"{seen.Count} messages, {contentRelated} content-related, all by the rule; {o.Summary()}");
    }
}
