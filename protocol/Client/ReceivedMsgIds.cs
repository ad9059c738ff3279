namespace Testbed.Protocol.Client;

/// <summary>
/// The server msg_ids a client has received, to spot re-sends (docs/protocol.md §3.9): the latest
/// <paramref name="capacity"/> in arrival order. Not <see cref="Messages.MsgIdWindow"/>: that window refuses every id
/// below the lowest it holds, the receiver's rule where order is enforced (a server, §3.7), whereas a client must take
/// server messages in any order — over HTTP each answer comes back on its own request, and a later one can overtake
/// an earlier one. Only an id no higher than one already forgotten is taken as a possible re-send. Not thread-safe.
/// </summary>
internal sealed class ReceivedMsgIds(int capacity)
{
    private readonly HashSet<long> _ids = [];
    private readonly Queue<long> _arrivals = new();

    // The highest id that has left the set: at or below it, an id not in the set may still have been received.
    private long _forgottenUpTo = long.MinValue;

    /// <summary>Records <paramref name="msgId"/>; false if it was received already (or may have been).</summary>
    public bool Add(long msgId)
    {
        if (msgId <= _forgottenUpTo || !_ids.Add(msgId))
        {
            return false;
        }

        _arrivals.Enqueue(msgId);
        if (_arrivals.Count > capacity)
        {
            long forgotten = _arrivals.Dequeue();
            _ids.Remove(forgotten);
            _forgottenUpTo = Math.Max(_forgottenUpTo, forgotten);
        }

        return true;
    }
}
