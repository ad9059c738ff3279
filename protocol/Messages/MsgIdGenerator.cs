namespace Testbed.Protocol.Messages;

/// <summary>
/// Makes msg_ids for one sender (docs/protocol.md §3.1): time-based, with the low bits of the requested kind,
/// strictly increasing across all kinds even when the clock stands still or steps back. Thread-safe.
/// </summary>
public sealed class MsgIdGenerator
{
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private long _last;

    /// <summary>Creates a generator reading <paramref name="clock"/> (<see cref="TimeProvider.System"/> if null).</summary>
    public MsgIdGenerator(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>
    /// Added to the clock before making an id: a client sets it to the server's time minus its own (learned from
    /// bad_msg_notification 16/17 or the handshake's server_time) so its ids fall inside the server's window.
    /// </summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>The last id handed out, or 0.</summary>
    public long Last
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    /// <summary>
    /// Lets the next id follow the clock even below the last one. For a client after bad_msg_notification 17 (msg_id
    /// too high) only: the server accepted none of the too-high ids, and a client that kept stepping past them would
    /// send every re-send too high again (docs/protocol.md §3.1, the one exception to "strictly increase").
    /// </summary>
    public void ForgetLast()
    {
        lock (_lock)
        {
            _last = 0;
        }
    }

    /// <summary>
    /// Makes every later id higher than <paramref name="msgId"/>: for a server node that takes a session over from
    /// another, whose ids the client has already seen (docs/cluster.md, "Sessions across nodes").
    /// </summary>
    public void Follow(long msgId)
    {
        lock (_lock)
        {
            _last = Math.Max(_last, msgId);
        }
    }

    /// <summary>The next msg_id for <paramref name="sender"/>.</summary>
    public long Next(MsgIdSender sender)
    {
        long bits = (long)sender;
        long candidate = (MsgId.FromTime(_clock.GetUtcNow() + ClockOffset) & ~3L) | bits;
        lock (_lock)
        {
            // Same tick (or a clock that went back): step past the last id, keeping the sender's low bits.
            if (candidate <= _last)
            {
                candidate = (_last & ~3L) | bits;
                if (candidate <= _last)
                {
                    candidate += 4;
                }
            }

            // The fraction part must not be zero (docs/protocol.md §3.1); only client ids (0 mod 4) can hit it.
            if ((candidate & 0xFFFF_FFFF) == 0)
            {
                candidate += 4;
            }

            _last = candidate;
            return candidate;
        }
    }
}
