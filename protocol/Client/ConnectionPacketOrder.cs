namespace Testbed.Protocol.Client;

/// <summary>
/// The order rule for server packets on one stream connection (TCP, WebSocket): a packet whose outer msg_id (a
/// container's own, or the lone message's) is not above the previous accepted packet's is dropped, which defeats the
/// 2022 reordering attack (docs/protocol.md §3.9). Messages inside a container are exempt, as re-sends travel in fresh
/// containers; over HTTP the rule is off, since answers to parallel requests overtake each other; and a new
/// connection starts a new count. <see cref="ClientFaults.AcceptReordered"/> turns it off. Not thread-safe: one per
/// receive loop.
/// </summary>
internal sealed class ConnectionPacketOrder(bool enforced)
{
    private long _lastAccepted = long.MinValue;

    /// <summary>Whether a packet with this outer msg_id may be taken; if so, it becomes the one to beat.</summary>
    public bool TryAccept(long outerMsgId)
    {
        if (enforced && outerMsgId <= _lastAccepted)
        {
            return false;
        }

        _lastAccepted = Math.Max(_lastAccepted, outerMsgId);
        return true;
    }
}
