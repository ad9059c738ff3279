using System.Buffers.Binary;
using System.Globalization;
using StackExchange.Redis;
using Testbed.Server.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// The session directory in Redis: a set of session_ids per key, and a channel on which a destroyed session is
/// announced to every node, each of which retires its own copy as destroy_session does on one node (its key's floor
/// raised, docs/protocol.md §3.4). The cluster's replay ledger keeps the destroyed session's window, so a replay into a
/// session made again under its id is refused wherever it lands.
/// </summary>
internal sealed class RedisSessionDirectory : ISessionDirectory
{
    private const string AnnounceScript = "redis.call('SADD', KEYS[1], ARGV[1]) return redis.call('EXPIRE', KEYS[1], ARGV[2])";
    private static readonly RedisChannel Channel = RedisChannel.Literal("tb:destroy");

    // A node forgets an unused session after 30 minutes (docs/server.md "Memory bounds"); the record lasts as long.
    private static readonly string Lifetime = ((long)TimeSpan.FromMinutes(30).TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private readonly RespConnectionPool _pool;
    private readonly ISubscriber _subscriber;

    public RedisSessionDirectory(RedisConnection redis, SessionRegistry sessions)
    {
        _pool = redis.Pool;
        _subscriber = redis.Multiplexer.GetSubscriber();
        _subscriber.Subscribe(Channel).OnMessage(message =>
        {
            byte[]? ids = message.Message;
            if (ids is { Length: 16 })
            {
                sessions.Remove(BinaryPrimitives.ReadInt64LittleEndian(ids), BinaryPrimitives.ReadInt64LittleEndian(ids.AsSpan(8)));
            }
        });
    }

    public void Announce(long authKeyId, long sessionId)
    {
        try
        {
            _pool.Use(c => c.Call("EVAL", AnnounceScript, "1", SetKey(authKeyId), Hex(sessionId), Lifetime));
        }
        catch (Exception e) when (e is IOException or RespErrorException)
        {
            // Not recorded: destroy_session from another node will answer destroy_session_none for it.
        }
    }

    public bool Destroy(long authKeyId, long sessionId)
    {
        byte[] ids = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(ids, authKeyId);
        BinaryPrimitives.WriteInt64LittleEndian(ids.AsSpan(8), sessionId);
        try
        {
            _subscriber.Publish(Channel, ids, CommandFlags.FireAndForget);
            return _pool.Use(c => c.Call("SREM", SetKey(authKeyId), Hex(sessionId))) == "1";
        }
        catch (Exception e) when (e is IOException or RespErrorException or RedisException)
        {
            return false; // Redis unreachable: the other nodes keep the session, and destroy_session answers none
        }
    }

    /// <summary>The key's set; the braces are the hash tag that keeps a key's records on one shard (docs/cluster.md).</summary>
    private static string SetKey(long authKeyId) => $"tb:{{{Hex(authKeyId)}}}:s";

    private static string Hex(long value) => value.ToString("x16", CultureInfo.InvariantCulture);
}
