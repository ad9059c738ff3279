using Testbed.Server.Chat;
using Testbed.Server.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// A session a node takes over is given what its user has not acknowledged (docs/cluster.md, "Delivery across
/// nodes"): a node's outbox dies with the node, and the updates it held for a client must not. When a node begins to
/// serve a session, it queues a chat.updateNewMessage for each message to the key's user that no session has
/// acknowledged (at most <see cref="Limit"/>, the oldest first; the rest is chat.getDifference's), each kept until
/// acknowledged and marking the message delivered then. A client may so receive an update twice, once from each node,
/// always under the same message id, which is what it deduplicates by.
/// </summary>
internal sealed class UndeliveredUpdates(ChatStore store, ChatService chat)
{
    /// <summary>The most updates queued on one session this way.</summary>
    public const int Limit = 100;

    /// <summary>Queues the key's undelivered messages on <paramref name="session"/>; the caller holds its lock.</summary>
    public void QueueOn(ServerSession session)
    {
        if (store.FindByAuthKey(session.AuthKeyId) is not { } user)
        {
            return;
        }

        foreach (ChatMessage message in store.Undelivered(user.Id, Limit))
        {
            session.Outbox.Add(chat.NewMessageUpdate(message), contentRelated: true, keepUntilAcked: true,
                new PushReceipt(message.Id, store.MarkDelivered), unprompted: true);
        }
    }
}
