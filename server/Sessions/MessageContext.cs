using Testbed.Protocol.Envelope;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Server.Sessions;

/// <summary>One decrypted packet being processed: its session, connection and key, and what it leaves to do after.</summary>
internal sealed class MessageContext(ServerSession session, IClientConnection connection, StoredAuthKey key, DateTimeOffset now)
{
    public ServerSession Session { get; } = session;

    public IClientConnection Connection { get; } = connection;

    public StoredAuthKey StoredKey { get; } = key;

    public long AuthKeyId => Session.AuthKeyId;

    public DateTimeOffset Now { get; } = now;

    /// <summary>Work that takes other sessions' locks (chat updates): run after this session's lock is released.</summary>
    public List<Action> Afterwards { get; } = [];

    /// <summary>
    /// Events of single messages in the packet, each written to the security log on its own: a message refused
    /// inside a container, a client's initConnection.
    /// </summary>
    public List<EncryptedOutcome> Events { get; } = [];

    /// <summary>destroy_auth_key was processed: forget the key once its answer is sealed.</summary>
    public bool DestroyKey { get; set; }

    /// <summary>Queues a message that needs no acknowledgement (bad_msg_notification, msg_detailed_info...).</summary>
    public void Answer(byte[] body, bool contentRelated = true) =>
        Session.Outbox.Add(body, contentRelated, keepUntilAcked: false);

    /// <summary>Queues the answer to a request that needs no acknowledgement (pong, msgs_state_info, future_salts).</summary>
    public void Reply(in EnvelopeHeader request, byte[] body) =>
        Session.RememberAnswer(request.MsgId, Session.Outbox.Add(body, contentRelated: true, keepUntilAcked: false));

    /// <summary>Queues an rpc_result (kept until acknowledged) and remembers it as the answer to the request.</summary>
    public void AnswerRpc(in EnvelopeHeader request, byte[] rpcResult) =>
        Session.RememberAnswer(request.MsgId, Session.Outbox.Add(rpcResult, contentRelated: true, keepUntilAcked: true));
}
