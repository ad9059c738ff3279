namespace Testbed.Protocol.Messages;

/// <summary>
/// Conversions between msg_id and time. A msg_id is about <c>unixtime · 2^32</c>: the high 32 bits hold the
/// Unix seconds, the low 32 bits the fraction of the second (docs/protocol.md §3.1).
/// </summary>
public static class MsgId
{
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;

    /// <summary>The msg_id for an instant, before its two low bits are set for a sender.</summary>
    public static long FromTime(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TicksPerSecond;
        }

        long fraction = (long)(((ulong)remainder << 32) / TicksPerSecond);
        return (seconds << 32) | fraction;
    }

    /// <summary>The instant a msg_id stands for (to 100 ns).</summary>
    public static DateTimeOffset ToTime(long msgId)
    {
        long seconds = msgId >> 32;
        long fraction = msgId & 0xFFFF_FFFF;
        long ticks = (seconds * TicksPerSecond) + (long)(((ulong)fraction * TicksPerSecond) >> 32);
        return DateTimeOffset.UnixEpoch.AddTicks(ticks);
    }

    /// <summary>Whether <paramref name="msgId"/> is a server message's that answers a client message (1 mod 4, §3.1).</summary>
    public static bool IsServerResponse(long msgId) => (msgId & 3) == (long)MsgIdSender.ServerResponse;

    /// <summary>Whether the two low bits of <paramref name="msgId"/> are right for <paramref name="sender"/>.</summary>
    public static bool HasSenderBits(long msgId, MsgIdSender sender) => sender switch
    {
        MsgIdSender.Client => (msgId & 3) == 0,
        _ => (msgId & 3) is 1 or 3,
    };
}
