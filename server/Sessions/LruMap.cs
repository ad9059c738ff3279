namespace Testbed.Server.Sessions;

/// <summary>
/// A map that keeps its entries in order of last use, so that the idle and the surplus are found at the old end in
/// O(1) each: trimming on access costs amortised O(1) and never scans (docs/server.md "Memory bounds").
/// Not thread-safe: the owner locks.
/// </summary>
internal sealed class LruMap<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _nodes = [];
    private readonly LinkedList<Entry> _order = new(); // first: least recently used

    public int Count => _nodes.Count;

    /// <summary>The value, marked as used at <paramref name="now"/>.</summary>
    public bool TryGet(TKey key, DateTimeOffset now, out TValue value)
    {
        if (!_nodes.TryGetValue(key, out LinkedListNode<Entry>? node))
        {
            value = default!;
            return false;
        }

        Touch(node, now);
        value = node.Value.Value;
        return true;
    }

    /// <summary>Adds a value (or replaces one), as the most recently used.</summary>
    public void Set(TKey key, TValue value, DateTimeOffset now)
    {
        Remove(key);
        _nodes[key] = _order.AddLast(new Entry(key, value, now));
    }

    public bool Remove(TKey key)
    {
        if (!_nodes.Remove(key, out LinkedListNode<Entry>? node))
        {
            return false;
        }

        _order.Remove(node);
        return true;
    }

    /// <summary>
    /// Evicts from the old end every entry unused since <paramref name="idleBefore"/>, then the least recently used
    /// while more than <paramref name="capacity"/> remain — never the most recently used, which is the caller's.
    /// <paramref name="tryEvict"/> may refuse an entry because it is in use right now; trimming then stops until the
    /// next call, so the count may pass the capacity for as long as the oldest entry is in use.
    /// </summary>
    public void Trim(int capacity, DateTimeOffset idleBefore, Func<TKey, TValue, bool> tryEvict)
    {
        while (_order.First is { } oldest && oldest != _order.Last
            && (oldest.Value.LastUsed < idleBefore || _nodes.Count > capacity) && tryEvict(oldest.Value.Key, oldest.Value.Value))
        {
            Remove(oldest.Value.Key);
        }
    }

    private void Touch(LinkedListNode<Entry> node, DateTimeOffset now)
    {
        node.Value.LastUsed = now;
        _order.Remove(node);
        _order.AddLast(node);
    }

    private sealed class Entry(TKey key, TValue value, DateTimeOffset lastUsed)
    {
        public TKey Key { get; } = key;

        public TValue Value { get; } = value;

        public DateTimeOffset LastUsed { get; set; } = lastUsed;
    }
}
