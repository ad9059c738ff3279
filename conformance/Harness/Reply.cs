using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Harness;

/// <summary>One message the server sent, inside a packet (a container's messages each have their own header).</summary>
internal sealed record ServerMessage(long MsgId, int SeqNo, TlObject Body);

/// <summary>What came back for one packet: a transport error, an encrypted message, an empty HTTP answer, silence, or a closed connection.</summary>
internal sealed record Reply(int TransportError, EnvelopeHeader? Header, IReadOnlyList<ServerMessage> Messages, bool Closed, bool TimedOut,
    string? Problem = null)
{
    public static Reply Silence { get; } = new(0, null, [], false, true);

    public static Reply ClosedConnection { get; } = new(0, null, [], true, false);

    /// <summary>The first message with this constructor, if any.</summary>
    public TlObject? Find(string name) => Messages.FirstOrDefault(m => m.Body.Combinator.Name == name)?.Body;

    /// <summary>Whether any message has this constructor.</summary>
    public bool Has(string name) => Find(name) is not null;

    /// <summary>
    /// The name of an RPC answer: what rpc_result carries, or the first message that is not a service notification
    /// (a server may answer some functions unwrapped).
    /// </summary>
    public string? Result() => Find("rpc_result")?.Get<TlObject>("result").Combinator.Name
        ?? Messages.Select(m => m.Body.Combinator.Name).FirstOrDefault(n => n is not ("new_session_created" or "msgs_ack"));

    /// <summary>The bad_msg_notification or bad_server_salt error code, if the reply carries one.</summary>
    public int? BadMsgCode => (Find("bad_msg_notification") ?? Find("bad_server_salt"))?.Get<int>("error_code");

    /// <summary>A short description for evidence: "transport error -404", "[new_session_created, pong]", "no answer within 5 s".</summary>
    public override string ToString() => this switch
    {
        { TransportError: not 0 } => TransportErrors.Describe(TransportError),
        { Closed: true } => "the connection was closed",
        { TimedOut: true } => "no answer",
        { Problem: not null } => $"an unreadable packet ({Problem})",
        { Messages.Count: 0 } => "an empty answer",
        _ => "[" + string.Join(", ", Messages.Select(Describe)) + "]",
    };

    private static string Describe(ServerMessage message) => message.Body.Combinator.Name switch
    {
        "bad_msg_notification" or "bad_server_salt" => $"{message.Body.Combinator.Name} {message.Body.Get<int>("error_code")}",
        "rpc_result" => $"rpc_result({message.Body.Get<TlObject>("result").Combinator.Name})",
        string name => name,
    };
}
