using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// The pattern most envelope, msg_id and service cases share: the client calls help.getNearestDc, and before the
/// correct answer (country NL) the server sends a forged one (country XX) that a correct client must drop. The
/// verdict reads both sides: the library must deliver NL and never XX, and the client must not acknowledge the forged
/// message (acknowledging it tells the sender it was accepted).
/// </summary>
internal static class Smuggling
{
    /// <summary>The country the forged answer names.</summary>
    public const string Forged = "XX";

    /// <summary>
    /// Answers the client's first help.getNearestDc with what <paramref name="forge"/> sends (it returns the forged
    /// message's msg_id), then after 300 ms with the correct answer; judges as the class summary says.
    /// </summary>
    /// <param name="run">The case's run.</param>
    /// <param name="forge">Sends the forged message; returns its msg_id.</param>
    /// <param name="ackAllowed">The forged message is well formed and only answers nothing: acknowledging it is no fault.</param>
    public static async Task<CaseOutcome> RunAsync(ClientCaseRun run, Func<ClientMessage, HostileSession, Task<long>> forge, bool ackAllowed = false)
    {
        long forgedMsgId = 0;
        int calls = 0;
        var script = new HostileScript
        {
            OnMessage = async (message, session) =>
            {
                if (message.Query?.Combinator.Name != "help.getNearestDc" || Interlocked.Increment(ref calls) > 1)
                {
                    return false;
                }

                forgedMsgId = await forge(message, session);
                session.Log.Note($"forged answer under msg_id {forgedMsgId:x16}");
                await Task.Delay(300);
                return false;
            },
        };
        ClientObservation o = await run.RunAsync("handshake,rpc,idle:1", script);
        return Judge(o, forgedMsgId, ackAllowed);
    }

    /// <summary>A forged rpc_result for <paramref name="request"/>, as the bytes a case seals its own way.</summary>
    public static byte[] ForgedAnswer(ClientMessage request) =>
        TlCodec.Testbed.Serialize(Responder.RpcResult(request.MsgId, Responder.NearestDc(Forged)));

    /// <summary>Sends the forged answer sealed with <paramref name="seal"/>; returns its msg_id.</summary>
    public static Func<ClientMessage, HostileSession, Task<long>> Sealed(Func<HostileSession, Seal> seal) =>
        (request, session) => session.SendAsync(ForgedAnswer(request), seal(session));

    private static CaseOutcome Judge(ClientObservation o, long forgedMsgId, bool ackAllowed)
    {
        string[] countries = [.. o.All("rpc_result").Select(e => e.Text("country"))];
        if (forgedMsgId == 0)
        {
            return CaseOutcome.NotReached($"the client never called help.getNearestDc, so nothing was forged; {o.Summary()}");
        }

        bool delivered = countries.Contains(Forged);
        bool acked = !ackAllowed && Acknowledged(o, forgedMsgId);
        bool answered = countries.Contains(Responder.Country);
        string verdict = delivered ? "the forged answer reached the user"
            : acked ? "the forged message was acknowledged (msgs_ack names it)"
            : !answered ? "the correct answer that followed never reached the user"
            : "the forged answer was dropped and the correct one delivered";
        return CaseOutcome.Check(!delivered && !acked && answered, $"{verdict}; {o.Summary()}");
    }

    /// <summary>Whether any msgs_ack the client sent names <paramref name="msgId"/>.</summary>
    public static bool Acknowledged(ClientObservation o, long msgId) =>
        o.Log.Messages.Any(m => m.Message.Object?.Combinator.Name == "msgs_ack" && m.Message.Object.Get<long[]>("msg_ids").Contains(msgId));
}
