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
/// sent (its seq_no), its last msg_id, and every message kept until acknowledged, under its own msg_id and seq_no. Two
/// keys per session: its state (<see cref="StateKey"/>, "OWNER N M", the owner being the node instance that claimed the
/// session's last message, set by that claim in claim-msg-id.lua) and its kept messages (<see cref="MessagesKey"/>).
/// </summary>
/// <remarks>
/// The owner writes what changed before it sends each packet, without waiting for Redis (pipelined on the
/// multiplexer), and only while it is still the owner, so a node that lost the session cannot overwrite the state with
/// its stale copy; counters alone ride on the session's next claim (<see cref="Write"/>). A node that finds the session
/// moved to it (<see cref="ReplayClaim.FreshTakenOver"/>) reads the state once and restores the session before it
/// processes the message. A write still on its way when the client has moved is missed by the new node: the client
/// must receive the packet, reach another node and be claimed there before Redis applies a write that left first, so
/// the window is small; for counters alone it is up to <see cref="CarryWithin"/>.
/// </remarks>
internal sealed class SessionJournal : IDisposable
{
    /// <summary>How long a journal outlives its session's last message: as long as the session directory keeps a session.</summary>
    public const string LifetimeSeconds = "1800";

    private static readonly uint RpcResult = TlSchema.MTProto["rpc_result"].Id;

    /// <summary>How long a session's counters wait for its next claim to carry them.</summary>
    public static readonly TimeSpan CarryWithin = TimeSpan.FromMilliseconds(2);

    private readonly RedisConnection _redis;
    private readonly ChatStore _chat;
    private readonly ILogger<SessionJournal> _log;

    // Sessions whose counters wait for a claim, and since when (Environment.TickCount64).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ServerSession, long> _waiting = new();
    private readonly Timer _carrier;
    private int _carrierArmed;
    private long _lastFailureLogged = -60_000;

    public SessionJournal(RedisConnection redis, ChatStore chat, ILogger<SessionJournal> log)
    {
        (_redis, _chat, _log) = (redis, chat, log);
        _carrier = new Timer(_ => SendUncarried());
    }

    // KEYS[1] the session's state, "OWNER N M" (claim-msg-id.lua); KEYS[2] its kept messages. ARGV[1] the writing
    // node instance; ARGV[2] the content-related count; ARGV[3] the last msg_id (16 hex digits, so that strings
    // compare as the ids do); ARGV[4] the messages' lifetime in seconds; ARGV[5] how many messages follow as field,
    // value pairs; after them, the fields of the messages that left. Written only by the owner; both counters only grow.
    private const string WriteScript = """
        local owner, count, last = string.match(redis.call('GET', KEYS[1]) or '', '^(%S+) (%d+) (%x+)$')
        if owner ~= ARGV[1] then return 0 end
        if tonumber(ARGV[2]) > tonumber(count) then count = ARGV[2] end
        if ARGV[3] > last then last = ARGV[3] end
        redis.call('SET', KEYS[1], owner .. ' ' .. count .. ' ' .. last, 'KEEPTTL')
        local added = tonumber(ARGV[5])
        for i = 0, added - 1 do redis.call('HSET', KEYS[2], ARGV[6 + 2 * i], ARGV[7 + 2 * i]) end
        for i = 6 + 2 * added, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
        if added > 0 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
        return 1
        """;

    /// <summary>
    /// A session's state: its owner and counters, one string that every claim reads and writes. The braces are the
    /// auth key's Redis Cluster hash tag, as for its window.
    /// </summary>
    public static string StateKey(long authKeyId, long sessionId) =>
        $"tb:{{{RedisReplayLedger.Hex(authKeyId)}}}:c:{RedisReplayLedger.Hex(sessionId)}";

    /// <summary>A session's messages kept until acknowledged, a hash by msg_id; written only when they change.</summary>
    public static string MessagesKey(long authKeyId, long sessionId) =>
        $"tb:{{{RedisReplayLedger.Hex(authKeyId)}}}:j:{RedisReplayLedger.Hex(sessionId)}";

    /// <summary>The session's counters now, for its next claim to carry; the caller holds its lock.</summary>
    public static JournalCounters Counters(ServerSession session) =>
        new(session.Outbox.SeqNos.ContentRelatedSent, session.Outbox.MsgIds.Last);

    /// <summary>A claim carried <paramref name="counters"/> to the journal: nothing of them is left to send.</summary>
    public void Carried(ServerSession session, JournalCounters counters)
    {
        session.JournalMark = counters;
        _waiting.TryRemove(session, out _);
    }

    /// <summary>
    /// Sends what changed in <paramref name="session"/>; the caller holds its lock. A message kept until acknowledged
    /// that was added or left goes at once, with the counters. Counters alone (a pong, a bad_msg_notification) wait
    /// for the session's next claim to carry them, so that a busy session costs one round trip a message, not two;
    /// a session that sends nothing within <see cref="CarryWithin"/> has them sent on their own.
    /// </summary>
    public void Write(ServerSession session)
    {
        (IReadOnlyList<OutgoingMessage> added, IReadOnlyList<long> removed) = session.Outbox.TakeChanges();
        JournalCounters counters = Counters(session);
        if (added.Count == 0 && removed.Count == 0)
        {
            if (counters != session.JournalMark)
            {
                if (_waiting.TryAdd(session, Environment.TickCount64))
                {
                    ArmCarrier();
                }
            }

            return;
        }

        Send(session, counters, added, removed);
    }

    private void Send(ServerSession session, JournalCounters counters, IReadOnlyList<OutgoingMessage> added, IReadOnlyList<long> removed)
    {
        session.JournalMark = counters;
        _waiting.TryRemove(session, out _);
        var arguments = new List<RedisValue>(5 + (2 * added.Count) + removed.Count)
        {
            _redis.Instance,
            counters.ContentRelatedSent,
            RedisReplayLedger.Hex(counters.LastMsgId),
            LifetimeSeconds,
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
            _redis.Multiplexer.GetDatabase().ScriptEvaluate(WriteScript,
                [StateKey(session.AuthKeyId, session.SessionId), MessagesKey(session.AuthKeyId, session.SessionId)], [.. arguments],
                CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // Redis is down: the claims refuse every message meanwhile, and the session's next write carries the counters.
            LogFailure(e);
        }
    }

    // The carrier runs only while counters wait: a quiet node has no timer ticking (500 wake-ups a second otherwise).
    private void ArmCarrier()
    {
        if (Interlocked.Exchange(ref _carrierArmed, 1) == 0)
        {
            _carrier.Change(CarryWithin, Timeout.InfiniteTimeSpan); // false, and nothing else, once the journal is disposed
        }
    }

    // Sends the counters no claim carried within CarryWithin: the session went quiet, or moved away.
    private void SendUncarried()
    {
        Volatile.Write(ref _carrierArmed, 0);
        long due = Environment.TickCount64 - (long)CarryWithin.TotalMilliseconds;
        foreach ((ServerSession session, long since) in _waiting)
        {
            if (since > due || !_waiting.TryRemove(session, out _))
            {
                continue;
            }

            lock (session.Lock)
            {
                if (Counters(session) != session.JournalMark)
                {
                    Send(session, Counters(session), [], []);
                }
            }
        }

        if (!_waiting.IsEmpty)
        {
            ArmCarrier(); // counters that began to wait after this run's start
        }
    }

    public void Dispose() => _carrier.Dispose();

    /// <summary>
    /// Restores <paramref name="session"/> from its journal: its unacknowledged messages (due again), its counters, the
    /// answers among them (so a repeated request gets its first answer), and no new_session_created, since the client
    /// has one. The caller holds the session's lock. False when the journal cannot be read: the session then goes on
    /// from what this node holds, as without a journal.
    /// </summary>
    public bool TakeOver(ServerSession session)
    {
        string? state;
        HashEntry[] entries;
        try
        {
            IDatabase database = _redis.Multiplexer.GetDatabase();
            state = database.StringGet(StateKey(session.AuthKeyId, session.SessionId));
            entries = database.HashGetAll(MessagesKey(session.AuthKeyId, session.SessionId));
        }
        catch (RedisException e)
        {
            LogFailure(e);
            return false;
        }

        // "OWNER N M", as the claim script writes it.
        string[] parts = state?.Split(' ') ?? [];
        int contentRelatedSent = parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        long lastMsgId = parts.Length == 3 && long.TryParse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long m) ? m : 0;
        var messages = new List<OutgoingMessage>();
        foreach (HashEntry entry in entries)
        {
            if (ReadEntry(entry.Name.ToString(), entry.Value) is { } message)
            {
                messages.Add(message);
            }
        }

        session.Outbox.Restore(messages, contentRelatedSent, lastMsgId);
        session.JournalMark = Counters(session);
        _waiting.TryRemove(session, out _);
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
            ClusterLog.JournalFailed(_log, e.Message);
        }
    }

    private static string Field(long msgId) => RedisReplayLedger.Hex(msgId);

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
        if (entry is not { Length: >= 5 } || !long.TryParse(field, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long msgId))
        {
            return null;
        }

        long? receipt = entry[4] == 1 && entry.Length >= 13 ? BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(5)) : null;
        int header = receipt is null ? 5 : 13;
        return new OutgoingMessage(msgId, BinaryPrimitives.ReadInt32LittleEndian(entry), entry[header..], KeepUntilAcked: true)
        {
            ReceiptId = receipt,
            OnAcknowledged = receipt is { } id ? () => _chat.MarkDelivered(id) : null,
        };
    }
}
