namespace Testbed.Protocol.Messages;

/// <summary>
/// A session's replay window (docs/protocol.md §3.4): the last <see cref="Capacity"/> msg_ids that passed all
/// checks, with their seq_nos. A duplicate is refused, and so is any id lower than all stored ids once the window
/// holds any (the rule whose absence allowed replay after a window overflow, Sušánka &amp; Kokeš 2017).
/// </summary>
/// <remarks>
/// <para>Ids are recorded only when the caller says the message passed every check (<see cref="Record"/>): recording
/// earlier would let a forged or rejected message poison the window.</para>
/// <para>Storage is a sorted ring of at most <see cref="Capacity"/> entries that starts small and doubles as ids
/// arrive (an idle session costs a few hundred bytes, not 12 KiB): a check is a binary search (O(log N)), recording an
/// id higher than all others is O(1) amortised, and recording a late id shifts the entries above it (O(N),
/// N ≤ a few thousand, only for out-of-order messages). Not thread-safe: one session, one window, used under the
/// session's lock.</para>
/// </remarks>
public sealed class MsgIdWindow
{
    /// <summary>
    /// 1024: a full msg_container carries up to 1024 messages, and all of them must be recorded while still
    /// telling duplicates apart inside it; 1024 entries cost 12 KiB in a busy session. See docs/protocol.md §3.4.
    /// </summary>
    public const int DefaultCapacity = 1024;

    private const int InitialSize = 16;

    private long[] _ids;
    private int[] _seqNos;
    private int _head;

    /// <summary>Creates an empty window of <paramref name="capacity"/> ids.</summary>
    public MsgIdWindow(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _ids = new long[Math.Min(capacity, InitialSize)];
        _seqNos = new int[_ids.Length];
    }

    /// <summary>The most ids kept.</summary>
    public int Capacity { get; }

    /// <summary>The ids kept now.</summary>
    public int Count { get; private set; }

    /// <summary>The lowest stored id, if any.</summary>
    public long? Lowest => Count == 0 ? null : _ids[_head];

    /// <summary>The highest stored id, if any.</summary>
    public long? Highest => Count == 0 ? null : IdAt(Count - 1);

    /// <summary>Classifies <paramref name="msgId"/> without recording it.</summary>
    public MsgIdWindowCheck Check(long msgId)
    {
        if (Count == 0 || msgId > IdAt(Count - 1))
        {
            return MsgIdWindowCheck.Fresh;
        }

        if (msgId < _ids[_head])
        {
            return MsgIdWindowCheck.BelowWindow;
        }

        return Search(msgId) >= 0 ? MsgIdWindowCheck.Duplicate : MsgIdWindowCheck.FreshOutOfOrder;
    }

    /// <summary>Whether <paramref name="msgId"/> is stored.</summary>
    public bool Contains(long msgId) => Count > 0 && msgId >= _ids[_head] && Search(msgId) >= 0;

    /// <summary>The stored message with this msg_id, if any.</summary>
    public SeenMessage? Find(long msgId)
    {
        int index = Count > 0 && msgId >= _ids[_head] ? Search(msgId) : -1;
        return index >= 0 ? EntryAt(index) : null;
    }

    /// <summary>
    /// The stored messages just below and just above <paramref name="msgId"/>, for the seq_no order checks of
    /// <see cref="SeqNoRules"/>.
    /// </summary>
    public (SeenMessage? Previous, SeenMessage? Next) Neighbours(long msgId)
    {
        int index = Search(msgId);
        int insertAt = index >= 0 ? index : ~index;
        int previousIndex = insertAt - 1;
        int nextIndex = index >= 0 ? index + 1 : insertAt;
        SeenMessage? previous = previousIndex >= 0 ? EntryAt(previousIndex) : null;
        SeenMessage? next = nextIndex < Count ? EntryAt(nextIndex) : null;
        return (previous, next);
    }

    /// <summary>
    /// Records a message that passed every check. When the window is full the lowest id leaves it.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Check"/> would not call the id fresh.</exception>
    public void Record(long msgId, int seqNo)
    {
        MsgIdWindowCheck check = Check(msgId);
        if (check is not (MsgIdWindowCheck.Fresh or MsgIdWindowCheck.FreshOutOfOrder))
        {
            throw new InvalidOperationException($"msg_id {msgId} cannot be recorded: it is {check}.");
        }

        if (Count == _ids.Length && Count < Capacity)
        {
            Grow();
        }

        if (Count == Capacity)
        {
            // Evict the lowest; its slot is the one logical position Count now maps to, so the shift below has room
            // even when the late id becomes the new lowest.
            _head = (_head + 1) % _ids.Length;
            Count--;
        }

        int insertAt = check == MsgIdWindowCheck.Fresh ? Count : ~Search(msgId);
        for (int i = Count; i > insertAt; i--)
        {
            int to = Physical(i);
            int from = Physical(i - 1);
            _ids[to] = _ids[from];
            _seqNos[to] = _seqNos[from];
        }

        int slot = Physical(insertAt);
        _ids[slot] = msgId;
        _seqNos[slot] = seqNo;
        Count++;
    }

    /// <summary>Doubles the storage (up to <see cref="Capacity"/>), laying the ring out from index 0.</summary>
    private void Grow()
    {
        int size = Math.Min(Capacity, _ids.Length * 2);
        long[] ids = new long[size];
        int[] seqNos = new int[size];
        for (int i = 0; i < Count; i++)
        {
            ids[i] = IdAt(i);
            seqNos[i] = _seqNos[Physical(i)];
        }

        (_ids, _seqNos, _head) = (ids, seqNos, 0);
    }

    private int Physical(int logical) => (_head + logical) % _ids.Length;

    private long IdAt(int logical) => _ids[Physical(logical)];

    private SeenMessage EntryAt(int logical)
    {
        int slot = Physical(logical);
        return new SeenMessage(_ids[slot], _seqNos[slot]);
    }

    /// <summary>Binary search over the logical order: the index if found, else the complement of the insertion point.</summary>
    private int Search(long msgId)
    {
        int low = 0;
        int high = Count - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            long value = IdAt(middle);
            if (value == msgId)
            {
                return middle;
            }

            if (value < msgId)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
