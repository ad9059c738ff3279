using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Server.Api;
using Testbed.Server.Chat;
using Testbed.Server.Faults;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Transport;

namespace Testbed.Server.Sessions;

/// <summary>
/// What the server does with a message that passed every check : the MTProto service messages
/// and functions (docs/protocol.md §8), the chat layer's functions (§9), the API wrappers real clients put around
/// them and the help functions they call first (§9.1, §9.2). Runs under the session's lock.
/// </summary>
internal sealed class ServiceMessageHandler(SessionRegistry sessions, ServerSaltSchedule salts, ChatService chat, HelpService help, ServerBehaviour behaviour,
    Cluster.ISessionDirectory? directory = null)
{
    /// <summary>The most msg_ids one msgs_ack, msgs_state_req or msg_resend_req may list.</summary>
    public const int MaxListedIds = 8192;

    /// <summary>The longest http_wait the server honours (the MTProto default is 25 s).</summary>
    public static readonly TimeSpan MaxHttpWait = TimeSpan.FromSeconds(60);

    // How long after the first message an http_wait may keep gathering more.
    private static readonly TimeSpan MaxWaitAfter = TimeSpan.FromSeconds(1);

    private readonly TlCodec _codec = TlCodec.Testbed;
    private readonly TlSchema _schema = TlSchema.Testbed;

    /// <summary>Acts on the message. Returns null, or why it was deliberately ignored (for the event log).</summary>
    public string? Execute(MessageContext context, in EnvelopeHeader header, TlObject body)
    {
        if (body.Combinator.IsGeneric
            && !(body.Combinator.Name is "invokeWithLayer" or "initConnection" && behaviour.Violates(ServiceViolations.WrappersNotUnwrapped)))
        {
            return Unwrap(context, header, body);
        }

        switch (body.Combinator.Name)
        {
            case "ping" when behaviour.Violates(ServiceViolations.PongWithoutPingMsgId):
                context.Reply(header, Serialize("pong", 0L, body.Get<long>("ping_id")));
                return null;
            case "ping":
                context.Reply(header, Serialize("pong", header.MsgId, body.Get<long>("ping_id")));
                return null;
            case "ping_delay_disconnect":
                // The connection closes if no further ping_delay_disconnect comes within the delay; 0 turns the timer off.
                int delay = body.Get<int>("disconnect_delay");
                if (!behaviour.Violates(ServiceViolations.PingDelayDisconnectTimerIgnored))
                {
                    context.Connection.SetDisconnectDelay(delay > 0 ? TimeSpan.FromSeconds(Math.Min(delay, 86_400)) : null);
                }

                if (behaviour.Violates(ServiceViolations.PingDelayDisconnectUnanswered))
                {
                    return null;
                }

                context.Reply(header, Serialize("pong", header.MsgId, body.Get<long>("ping_id")));
                return null;
            case "msgs_ack" when behaviour.Violates(ServiceViolations.LongAckClosesConnection)
                && body.Get<long[]>("msg_ids").Length > MaxListedIds && context.Connection is StreamConnection stream:
                stream.Close("msgs_ack lists too many msg_ids (violation)");
                return "connection closed (violation)";
            case "msgs_ack":
                return WithIdList(body, ids => context.Session.Outbox.Acknowledge(ids));
            case "msgs_state_req":
                EnvelopeHeader request = header;
                return WithIdList(body, ids => context.Reply(request, Serialize("msgs_state_info", request.MsgId,
                    ids.Select(id => Reported(MessageStatus.Of(context.Session.Admission.Window, id, Answered(context, id)))).ToArray())));
            case "msg_resend_req":
                // Ids that are unknown, forgotten or acknowledged are ignored, as the MTProto description says.
                return WithIdList(body, ids => Array.ForEach(ids, id => context.Session.Outbox.Resend(id)));
            case "get_future_salts":
                context.Reply(header, Serialize("future_salts", header.MsgId, (int)context.Now.ToUnixTimeSeconds(),
                    salts.Future(context.AuthKeyId, context.Now, Math.Clamp(body.Get<int>("num") - (behaviour.Violates(Faults.Violations.SessionViolations.FutureSaltsOneShort) ? 1 : 0), 1, 64))
                        .Select(s => (object?)new TlObject(_schema["future_salt"], s.ValidSince, s.ValidUntil, s.Salt)).ToArray()));
                return null;
            case "http_wait" when behaviour.Violates(ServiceViolations.HttpWaitIgnored):
                return null;
            case "http_wait":
                context.Connection.RequestHttpWait(
                    TimeSpan.FromMilliseconds(Math.Clamp(body.Get<int>("max_wait"), 0, (int)MaxHttpWait.TotalMilliseconds)),
                    TimeSpan.FromMilliseconds(Math.Clamp(body.Get<int>("wait_after"), 0, (int)MaxWaitAfter.TotalMilliseconds)));
                return null;
            case "destroy_session":
                Rpc(context, header, DestroySession(context, body.Get<long>("session_id")));
                return null;
            case "destroy_auth_key":
                context.DestroyKey = !behaviour.Violates(Faults.Violations.SessionViolations.DestroyedKeyKept);
                Rpc(context, header, new TlObject(_schema["destroy_auth_key_ok"]));
                return null;
            case "rpc_drop_answer" when behaviour.Violates(ServiceViolations.UnknownDropAnswerUnanswered)
                && context.Session.AnswerTo(body.Get<long>("req_msg_id")) is null:
                return null;
            case "rpc_drop_answer":
                Rpc(context, header, DropAnswer(context, body.Get<long>("req_msg_id")));
                return null;
        }

        if (ChatService.Handles(body))
        {
            Rpc(context, header, chat.Call(context.AuthKeyId, context.Session.SessionId, body, context.Afterwards));
        }
        else if (HelpService.Handles(body))
        {
            Rpc(context, header, help.Call(body, context.Session.Layer));
        }
        else if (body.Combinator.IsFunction && !behaviour.Violates(ServiceViolations.UnservedFunctionUnanswered))
        {
            Rpc(context, header, RpcErrors.NotImplemented.ToObject());
        }

        return null; // other notifications need no answer
    }

    /// <summary>
    /// A message whose body does not parse, once it passed the envelope and session checks (docs/protocol.md §4.3): an
    /// rpc_error the client can read — 400 INPUT_METHOD_INVALID when the function itself (or the one an API wrapper
    /// carries) is unknown, 400 INPUT_FETCH_FAIL when its fields do not parse. Returns what was answered, for the log.
    /// </summary>
    public string RefuseUnreadable(MessageContext context, in EnvelopeHeader header, MessageBody body)
    {
        if (behaviour.Violates(EnvelopeViolations.MalformedDataIgnored))
        {
            return "not answered (violation)";
        }

        RpcError error = body.IsUnknownFunction ? RpcErrors.MethodInvalid : RpcErrors.FetchFail;
        Rpc(context, header, error.ToObject());
        return error.ToString();
    }

    /// <summary>
    /// An API wrapper (Tl/Schema/api-wrappers.tl, docs/protocol.md §9.1): what it says is recorded on the session
    /// (invokeWithLayer's layer, initConnection's client strings, also written to the security log), and the query
    /// inside runs as if sent alone, its answer naming the wrapper's msg_id. invokeAfterMsg(s) runs its query only when
    /// every message it names has been answered already — the server runs a session's messages in order, so that is
    /// when the order the client asked for holds — and is refused with 400 MSG_WAIT_FAILED otherwise.
    /// </summary>
    private string? Unwrap(MessageContext context, in EnvelopeHeader header, TlObject wrapper)
    {
        switch (wrapper.Combinator.Name)
        {
            case "invokeWithLayer":
                context.Session.Layer = wrapper.Get<int>("layer");
                break;
            case "initConnection":
                context.Session.Client = ClientIdentity.From(wrapper);
                context.Events.Add(new EncryptedOutcome(0, "client_identified", context.Session.Client.Describe(context.Session.Layer),
                    header.SessionId, header.MsgId));
                break;
            case "invokeAfterMsg" or "invokeAfterMsgs" when !behaviour.Violates(ServiceViolations.InvokeAfterIgnored):
                long[] after = wrapper.Combinator.Name == "invokeAfterMsg" ? [wrapper.Get<long>("msg_id")] : wrapper.Get<long[]>("msg_ids");
                if (after.Length > MaxListedIds || after.Any(id => context.Session.AnswerTo(id) is null))
                {
                    Rpc(context, header, RpcErrors.MsgWaitFailed.ToObject());
                    return $"{wrapper.Combinator.Name} names a message not answered yet: {RpcErrors.MsgWaitFailed}";
                }

                break;
        }

        return Execute(context, header, wrapper.Get<TlObject>("query"));
    }

    /// <summary>
    /// destroy_session: forgets another session of the same key. The current one is refused with
    /// destroy_session_none (the MTProto description leaves that case undefined; this server does not destroy itself).
    /// In a cluster the session may live on another node: the directory forgets it on every node.
    /// </summary>
    private TlObject DestroySession(MessageContext context, long sessionId)
    {
        bool destroyed = (sessionId != context.Session.SessionId
                && (sessions.Remove(context.AuthKeyId, sessionId, keepFloor: !behaviour.Violates(MsgIdViolations.DestroyedSessionReplayable))
                    | (directory?.Destroy(context.AuthKeyId, sessionId) ?? false)))
            || behaviour.Violates(Faults.Violations.SessionViolations.UnknownSessionDestroyed);
        return new TlObject(_schema[destroyed ? "destroy_session_ok" : "destroy_session_none"], sessionId);
    }

    /// <summary>rpc_drop_answer: an answer still waiting for its acknowledgement is withdrawn (rpc_answer_dropped).</summary>
    private TlObject DropAnswer(MessageContext context, long requestMsgId)
    {
        if (context.Session.AnswerTo(requestMsgId) is { } answer && context.Session.Outbox.Find(answer.MsgId) is not null)
        {
            if (!behaviour.Violates(ServiceViolations.DroppedAnswerKept))
            {
                context.Session.Outbox.Acknowledge([answer.MsgId]);
            }

            return new TlObject(_schema["rpc_answer_dropped"], answer.MsgId, answer.SeqNo, answer.Body.Length);
        }

        return new TlObject(_schema["rpc_answer_unknown"]);
    }

    // Whether the server produced an answer to the request (msgs_state_info's flags 32 and 64), unless a violation hides it.
    private bool Answered(MessageContext context, long requestMsgId) =>
        context.Session.AnswerTo(requestMsgId) is not null && !behaviour.Violates(ServiceViolations.AnsweredReportedUnanswered);

    // The status msgs_state_info gives: as found, unless a violation reports a received message as not received.
    private byte Reported(byte status) =>
        (status & 7) == MessageStatus.Received && behaviour.Violates(ServiceViolations.ReceivedReportedNotReceived) ? MessageStatus.NotReceived : status;

    private void Rpc(MessageContext context, in EnvelopeHeader header, TlObject result) =>
        context.AnswerRpc(header, Serialize("rpc_result", header.MsgId, result));

    private static string? WithIdList(TlObject body, Action<long[]> act)
    {
        long[] ids = body.Get<long[]>("msg_ids");
        if (ids.Length > MaxListedIds)
        {
            return $"{body.Combinator.Name} lists {ids.Length} msg_ids, more than {MaxListedIds}";
        }

        act(ids);
        return null;
    }

    private byte[] Serialize(string name, params object?[] values) => _codec.Serialize(new TlObject(_schema[name], values));
}
