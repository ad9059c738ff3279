using Testbed.Protocol.Messages;

namespace Testbed.Server.Sessions;

/// <summary>
/// A session's server messages that are due or not yet acknowledged, in msg_id order, at most
/// <see cref="Capacity"/> (the oldest is dropped past that: the chat layer's history and chat.getDifference recover
/// anything an update carried). Messages are re-sent when the client shows up on another connection, asks with
/// msg_resend_req, repeats the request they answer, or leaves them unacknowledged for <see cref="ResendAfter"/>
/// (docs/protocol.md §3.9). Not thread-safe: used under the session's lock.
/// </summary>
internal sealed class SessionOutbox(TimeProvider clock)
{
    /// <summary>How many messages wait at most.</summary>
    public const int Capacity = 1024;

    /// <summary>An unacknowledged message goes out again with the next packet after this long.</summary>
    public static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(30);

    // One packet carries at most this much: the container limit, and well under the transport's packet limit.
    private const int MaxMessagesPerPacket = MessageContainer.MaxMessages;
    private const int MaxBytesPerPacket = 512 * 1024;

    private readonly List<OutgoingMessage> _messages = [];

    // What a cluster's session journal has not been told yet (null on one node): messages kept until acknowledged
    // that were added, and the msg_ids of those that left (acknowledged, or dropped when the outbox was full).
    private List<OutgoingMessage>? _added;
    private List<long>? _removed;

    /// <summary>The session's msg_id source for server messages.</summary>
    public MsgIdGenerator MsgIds { get; } = new(clock);

    /// <summary>The session's seq_no counter for server messages.</summary>
    public SeqNoCounter SeqNos { get; private set; } = new();

    /// <summary>How many messages were dropped because the outbox was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Messages waiting to go out or to be acknowledged.</summary>
    public int Count => _messages.Count;

    /// <summary>
    /// Creates the next server message and queues it. Its msg_id is 1 mod 4 when it answers a client message and
    /// 3 mod 4 when the server sends it unprompted (a pushed update): docs/protocol.md §3.1.
    /// </summary>
    public OutgoingMessage Add(byte[] body, bool contentRelated, bool keepUntilAcked, PushReceipt? receipt = null, bool unprompted = false)
    {
        var message = new OutgoingMessage(MsgIds.Next(unprompted ? MsgIdSender.ServerNotification : MsgIdSender.ServerResponse),
            SeqNos.Next(contentRelated), body, keepUntilAcked)
        {
            OnAcknowledged = receipt is null ? null : () => receipt.Record(receipt.Id),
            ReceiptId = receipt?.Id,
        };
        _messages.Add(message);
        if (keepUntilAcked)
        {
            _added?.Add(message);
        }

        if (_messages.Count > Capacity)
        {
            Removed(_messages[0]);
            _messages.RemoveAt(0);
            Dropped++;
        }

        return message;
    }

    /// <summary>The waiting message with this msg_id, if any.</summary>
    public OutgoingMessage? Find(long msgId)
    {
        int index = IndexOf(msgId);
        return index >= 0 ? _messages[index] : null;
    }

    /// <summary>
    /// Queues a message again for a re-send under its own msg_id and seq_no (inside a new container): one still
    /// waiting is just made due; one already gone (an answer that needed no acknowledgement) is put back.
    /// </summary>
    public void Requeue(OutgoingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int index = IndexOf(message.MsgId);
        if (index < 0)
        {
            _messages.Insert(~index, message);
        }

        message.LastSent = null;
    }

    /// <summary>msgs_ack: forgets the acknowledged messages. Returns how many were waiting.</summary>
    public int Acknowledge(IEnumerable<long> msgIds)
    {
        int count = 0;
        foreach (long msgId in msgIds)
        {
            int index = IndexOf(msgId);
            if (index >= 0)
            {
                OutgoingMessage message = _messages[index];
                _messages.RemoveAt(index);
                Removed(message);
                message.OnAcknowledged?.Invoke();
                count++;
            }
        }

        return count;
    }

    /// <summary>Marks every sent, unacknowledged message due again (the client is on a new connection).</summary>
    public void ResendAll()
    {
        foreach (OutgoingMessage message in _messages)
        {
            message.LastSent = null;
        }
    }

    /// <summary>Marks one message due again. False if it is not waiting.</summary>
    public bool Resend(long msgId)
    {
        OutgoingMessage? message = Find(msgId);
        message?.LastSent = null;
        return message is not null;
    }

    /// <summary>
    /// The messages to put in the next packet: those never sent and those due for a re-send, in msg_id order, within
    /// one container's limits. They count as sent now; those that need no acknowledgement leave the outbox.
    /// </summary>
    public List<OutgoingMessage> TakeDue(DateTimeOffset now)
    {
        var due = new List<OutgoingMessage>();
        int bytes = 0;
        foreach (OutgoingMessage message in _messages)
        {
            if (message.LastSent is { } sent && now - sent < ResendAfter)
            {
                continue;
            }

            if (due.Count == MaxMessagesPerPacket || (due.Count > 0 && bytes + message.Body.Length > MaxBytesPerPacket))
            {
                break;
            }

            due.Add(message);
            bytes += message.Body.Length + 16;
            message.LastSent = now;
            message.Transmissions++;
        }

        _messages.RemoveAll(m => !m.KeepUntilAcked && m.LastSent is not null);
        return due;
    }

    /// <summary>From now on, remembers what the session journal must be told (<see cref="TakeChanges"/>).</summary>
    public void TrackChanges() => (_added, _removed) = (_added ?? [], _removed ?? []);

    /// <summary>
    /// What changed since the last call: messages kept until acknowledged that were added (and are still waiting), and
    /// the msg_ids of those that left. Empty unless <see cref="TrackChanges"/> was called.
    /// </summary>
    public (IReadOnlyList<OutgoingMessage> Added, IReadOnlyList<long> Removed) TakeChanges()
    {
        if (_added is null || _removed is null || (_added.Count == 0 && _removed.Count == 0))
        {
            return (Array.Empty<OutgoingMessage>(), Array.Empty<long>()); // the common case, a packet after a pong: no allocation
        }

        (List<OutgoingMessage> added, List<long> removed) = (_added, _removed);
        (_added, _removed) = ([], []);
        added.RemoveAll(m => removed.Contains(m.MsgId));
        return (added, removed);
    }

    /// <summary>
    /// Takes over a session's state from another node (docs/cluster.md, "Sessions across nodes"): its unacknowledged
    /// messages replace those kept here (which are stale: the other node saw what the client acknowledged since), all
    /// due for a re-send under their own msg_id and seq_no, and the counters continue past the other node's. What this
    /// node queued and has not sent yet (a refusal of an earlier message of the same packet) stays.
    /// </summary>
    public void Restore(IEnumerable<OutgoingMessage> unacknowledged, int contentRelatedSent, long lastMsgId)
    {
        List<OutgoingMessage> unsent = _messages.FindAll(m => !m.KeepUntilAcked);
        _messages.Clear();
        _messages.AddRange(unacknowledged.Concat(unsent).OrderBy(m => m.MsgId).TakeLast(Capacity));
        SeqNos = new SeqNoCounter(Math.Max(contentRelatedSent, SeqNos.ContentRelatedSent));
        MsgIds.Follow(lastMsgId);
        _added?.Clear();
        _removed?.Clear();
    }

    private void Removed(OutgoingMessage message)
    {
        if (message.KeepUntilAcked)
        {
            _removed?.Add(message.MsgId);
        }
    }

    // msg_ids are created increasing, so the list is sorted. Not found: the complement of where it would go.
    private int IndexOf(long msgId)
    {
        int low = 0, high = _messages.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            long value = _messages[middle].MsgId;
            if (value == msgId)
            {
                return middle;
            }

            (low, high) = value < msgId ? (middle + 1, high) : (low, middle - 1);
        }

        return ~low;
    }
}
