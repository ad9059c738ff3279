using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// The pattern of the service and re-send cases: the server refuses the client's first help.getNearestDc with a service
/// message (bad_server_salt, bad_msg_notification, msg_resend_req …) and answers whatever comes after correctly; the
/// case then reads how the client sent the call again.
/// </summary>
internal static class Refusals
{
    /// <summary>
    /// Runs <c>handshake,rpc</c>; <paramref name="refuse"/> answers the first call (or the first <paramref name="times"/>
    /// calls) instead of the server.
    /// </summary>
    public static Task<ClientObservation> RunAsync(ClientCaseRun run, Func<ClientMessage, HostileSession, Task> refuse, TimeSpan clockOffset = default,
        int times = 1, string scenario = "handshake,rpc,idle:1")
    {
        int calls = 0;
        return run.RunAsync(scenario, new HostileScript
        {
            ClockOffset = clockOffset,
            OnMessage = async (message, session) =>
            {
                if (message.Query?.Combinator.Name != "help.getNearestDc" || Interlocked.Increment(ref calls) > times)
                {
                    return false;
                }

                await refuse(message, session);
                return true;
            },
        });
    }

    /// <summary>Every help.getNearestDc the client sent, in order, with the packet that carried it.</summary>
    public static IReadOnlyList<(ClientPacket Packet, ClientMessage Message)> Calls(ClientObservation o) =>
        [.. o.Log.Messages.Where(m => m.Message.Query?.Combinator.Name == "help.getNearestDc")];

    /// <summary>Whether the shim delivered the correct answer.</summary>
    public static bool Answered(ClientObservation o) => o.All("rpc_result").Any(e => e.Text("country") == Responder.Country);

    /// <summary>bad_server_salt for <paramref name="message"/>, with a new salt the session adopts from now on.</summary>
    public static Task BadServerSalt(ClientMessage message, HostileSession session)
    {
        long salt = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        session.Salt = salt;
        return session.SendAsync(new TlObject(TlCodec.Testbed.Schema["bad_server_salt"], message.MsgId, message.SeqNo, 48, salt));
    }

    /// <summary>bad_msg_notification with <paramref name="code"/> for the message it is given.</summary>
    public static Func<ClientMessage, HostileSession, Task> BadMsg(int code) => (message, session) =>
        session.SendAsync(new TlObject(TlCodec.Testbed.Schema["bad_msg_notification"], message.MsgId, message.SeqNo, code));

    /// <summary>msg_resend_req naming <paramref name="message"/>: the server says it lost it.</summary>
    public static Task ResendRequest(ClientMessage message, HostileSession session) =>
        session.SendAsync(new TlObject(TlCodec.Testbed.Schema["msg_resend_req"], new[] { message.MsgId }));
}
