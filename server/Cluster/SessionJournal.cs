using System.Buffers.Binary;
using System.Globalization;
using StackExchange.Redis;
using Testbed.Protocol.Tl;
using Testbed.Server.Chat;
using Testbed.Server.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// A session's server-side state in Redis, so that the node a client moves to continues the session instead of
/// starting it again (docs/cluster.md, "Sessions across nodes"): the number of content-related messages the server has
/// sent (its seq_no), its last msg_id, and every message kept until acknowledged, under its own msg_id and seq_no. One
/// hash per session, <c>tb:{KEY}:j:SESSION</c>; its <c>owner</c> field names the node instance that claimed the
/// session's last message, and is set by that claim (claim-msg-id.lua).
/// </summary>
/// <remarks>
/// The owner writes what changed after each packet without waiting for Redis (pipelined on the multiplexer), and
/// only while it is still the owner, so a node that lost the session cannot overwrite the state with its stale copy.
/// A node that finds the session moved to it (<see cref="ReplayClaim.FreshTakenOver"/>) reads the hash once and
/// restores the session before it processes the message. A write still on its way when the client moves is missed by
/// the new node: the window is the time between the old node sending a packet and Redis applying its write.
/// </remarks>
internal sealed class SessionJournal(RedisConnection redis, ChatStore chat, ILogger<SessionJournal> log)
{
    /// <summary>How long a journal outlives its session's last message: as long as the session directory keeps a session.</summary>
    public const string LifetimeSeconds = "1800";

    private const string MessagePrefix = "o:";
    private static readonly uint RpcResult = TlSchema.MTProto["rpc_result"].Id;

    private long _lastFailureLogged = -60_000;

    // KEYS[1] the journal; ARGV[1] the writing node instance; ARGV[2] the content-related count; ARGV[3] the last
    // msg_id (16 hex digits, so that strings compare as the ids do); ARGV[4] how many messages follow as field, value
    // pairs; after them, the fields of the messages that left. Both counters only grow.
    private const string WriteScript = """
        if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
        if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'n') or '0') then redis.call('HSET', KEYS[1], 'n', ARGV[2]) end
        local last = redis.call('HGET', KEYS[1], 'm')
        if not last or ARGV[3] > last then redis.call('HSET', KEYS[1], 'm', ARGV[3]) end
        local added = tonumber(ARGV[4])
        for i = 0, added - 1 do redis.call('HSET', KEYS[1], ARGV[5 + 2 * i], ARGV[6 + 2 * i]) end
        for i = 5 + 2 * added, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
        return 1
        """;

    /// <summary>The journal of one session; the braces are the auth key's Redis Cluster hash tag, as for its window.</summary>
    public static string Key(long authKeyId, long sessionId) =>
        $"tb:{{{RedisReplayLedger.Hex(authKeyId)}}}:j:{RedisReplayLedger.Hex(sessionId)}";

    /// <summary>Sends what changed in <paramref name="session"/> since the last write; the caller holds its lock.</summary>
    public void Write(ServerSession session)
    {
        (List<OutgoingMessage> added, List<long> removed) = session.Outbox.TakeChanges();
        var mark = (session.Outbox.SeqNos.ContentRelatedSent, session.Outbox.MsgIds.Last);
        if (added.Count == 0 && removed.Count == 0 && mark == session.JournalMark)
        {
            return;
        }

        session.JournalMark = mark;
        var arguments = new List<RedisValue>(4 + (2 * added.Count) + removed.Count)
        {
            redis.Instance,
            mark.ContentRelatedSent,
            RedisReplayLedger.Hex(mark.Last),
            added.Count,
        };
        foreach (OutgoingMessage message in added)
        {
            arguments.Add(Field(message.MsgId));
            arguments.Add(Entry(message));
        }

        arguments.AddRange(removed.Select(msgId => (RedisValue)Field(msgId)));
        try
        {
            redis.Multiplexer.GetDatabase().ScriptEvaluate(WriteScript, [Key(session.AuthKeyId, session.SessionId)], [.. arguments],
                CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // Redis is down: the claims refuse every message meanwhile, and the session's next write carries the counters.
            LogFailure(e);
        }
    }

    /// <summary>
    /// Restores <paramref name="session"/> from its journal: its unacknowledged messages (due again), its counters, the
    /// answers among them (so a repeated request gets its first answer), and no new_session_created, since the client
    /// has one. The caller holds the session's lock. False when the journal cannot be read: the session then goes on
    /// from what this node holds, as without a journal.
    /// </summary>
    public bool TakeOver(ServerSession session)
    {
        HashEntry[] entries;
        try
        {
            entries = redis.Multiplexer.GetDatabase().HashGetAll(Key(session.AuthKeyId, session.SessionId));
        }
        catch (RedisException e)
        {
            LogFailure(e);
            return false;
        }

        int contentRelatedSent = 0;
        long lastMsgId = 0;
        var messages = new List<OutgoingMessage>();
        foreach (HashEntry entry in entries)
        {
            string name = entry.Name.ToString();
            if (name == "n")
            {
                contentRelatedSent = (int)entry.Value;
            }
            else if (name == "m")
            {
                lastMsgId = long.Parse(entry.Value.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            else if (name.StartsWith(MessagePrefix, StringComparison.Ordinal) && ReadEntry(name, entry.Value) is { } message)
            {
                messages.Add(message);
            }
        }

        session.Outbox.Restore(messages, contentRelatedSent, lastMsgId);
        session.JournalMark = (session.Outbox.SeqNos.ContentRelatedSent, session.Outbox.MsgIds.Last);
        session.Announced = true;
        foreach (OutgoingMessage message in messages.Where(m => m.Body.Length >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(m.Body) == RpcResult))
        {
            session.RememberAnswer(BinaryPrimitives.ReadInt64LittleEndian(message.Body.AsSpan(4)), message);
        }

        return true;
    }

    // While Redis is down every packet could fail here: one line a minute says so without filling the log.
    private void LogFailure(RedisException e)
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastFailureLogged);
        if (now - last >= 60_000 && Interlocked.CompareExchange(ref _lastFailureLogged, now, last) == last)
        {
            ClusterLog.JournalFailed(log, e.Message);
        }
    }

    private static string Field(long msgId) => MessagePrefix + RedisReplayLedger.Hex(msgId);

    // seq_no (4 bytes), whether a receipt follows (1), the receipt's id (8, if so), the body.
    private static byte[] Entry(OutgoingMessage message)
    {
        int header = message.ReceiptId is null ? 5 : 13;
        byte[] entry = new byte[header + message.Body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(entry, message.SeqNo);
        if (message.ReceiptId is { } receipt)
        {
            entry[4] = 1;
            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(5), receipt);
        }

        message.Body.CopyTo(entry, header);
        return entry;
    }

    private OutgoingMessage? ReadEntry(string field, byte[]? entry)
    {
        if (entry is not { Length: >= 5 } || !long.TryParse(field.AsSpan(MessagePrefix.Length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long msgId))
        {
            return null;
        }

        long? receipt = entry[4] == 1 && entry.Length >= 13 ? BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(5)) : null;
        int header = receipt is null ? 5 : 13;
        return new OutgoingMessage(msgId, BinaryPrimitives.ReadInt32LittleEndian(entry), entry[header..], KeepUntilAcked: true)
        {
            ReceiptId = receipt,
            OnAcknowledged = receipt is { } id ? () => chat.MarkDelivered(id) : null,
        };
    }
}
