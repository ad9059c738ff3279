using System.Buffers.Binary;
using StackExchange.Redis;
using Testbed.Server.Chat;
using Testbed.Server.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// Delivery across nodes (docs/cluster.md, "Delivery across nodes"): an update pushed on one node is published on a
/// Redis channel, and every other node pushes it to the sessions of the key that it holds. Publishing is at most
/// once: a node that misses it (down, or Redis down) leaves the update to the store, where chat.getDifference finds it;
/// each node's outbox keeps what it queued until its session acknowledges it.
/// </summary>
internal sealed class ClusterPushes
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("tb:push");

    // node (16) | flags (1) | auth_key_id (8) | receipt id (8) | session to skip (8) | the update
    private const int HeaderLength = 16 + 1 + 8 + 8 + 8;
    private const byte HasReceipt = 1, HasExcept = 2;

    private readonly Guid _node = Guid.NewGuid();
    private readonly ISubscriber _subscriber;
    private readonly SessionDelivery _delivery;
    private readonly ChatStore _store;

    public ClusterPushes(RedisConnection redis, SessionDelivery delivery, ChatStore store)
    {
        _subscriber = redis.Multiplexer.GetSubscriber();
        _delivery = delivery;
        _store = store;
        _subscriber.Subscribe(Channel).OnMessage(message => Receive(message.Message));
        delivery.Forward = Publish;
    }

    private void Publish(long authKeyId, byte[] body, long? receiptId, long? exceptSessionId)
    {
        byte[] payload = new byte[HeaderLength + body.Length];
        _node.TryWriteBytes(payload);
        payload[16] = (byte)((receiptId is null ? 0 : HasReceipt) | (exceptSessionId is null ? 0 : HasExcept));
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(17), authKeyId);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(25), receiptId ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(33), exceptSessionId ?? 0);
        body.CopyTo(payload, HeaderLength);
        try
        {
            _subscriber.Publish(Channel, payload, CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // At most once (above): the message waits in the store, and the caller's packet must not fail for it.
        }
    }

    private void Receive(RedisValue message)
    {
        byte[]? payload = message;
        if (payload is null || payload.Length < HeaderLength || new Guid(payload.AsSpan(0, 16)) == _node)
        {
            return; // this node's own push (already delivered here), or not one of ours
        }

        byte flags = payload[16];
        long authKeyId = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(17));
        long receiptId = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(25));
        long exceptSessionId = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(33));
        _delivery.PushHere(authKeyId, payload[HeaderLength..],
            (flags & HasReceipt) != 0 ? new PushReceipt(receiptId, _store.MarkDelivered) : null,
            (flags & HasExcept) != 0 ? exceptSessionId : null);
    }
}
