namespace Testbed.Protocol.Messages;

/// <summary>
/// The receiver's msg_id checks that need no session state (docs/protocol.md §3.2): the sender's low bits and the
/// time window. Checks against earlier messages belong to <see cref="MsgIdWindow"/>.
/// </summary>
public static class MsgIdRules
{
    /// <summary>How far in the past a msg_id may be: 300 s.</summary>
    public static readonly TimeSpan DefaultMaxPast = TimeSpan.FromSeconds(300);

    /// <summary>How far in the future a msg_id may be: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxFuture = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Checks <paramref name="msgId"/> from <paramref name="sender"/> (any server kind accepts 1 or 3 mod 4) at
    /// time <paramref name="now"/>. The low bits are checked first: an id of the wrong class is wrong at any time.
    /// </summary>
    /// <returns>null when acceptable, else the bad_msg_notification code: 18, 16 or 17.</returns>
    public static BadMsgCode? Validate(long msgId, MsgIdSender sender, DateTimeOffset now,
        TimeSpan? maxPast = null, TimeSpan? maxFuture = null)
    {
        if (!MsgId.HasSenderBits(msgId, sender))
        {
            return BadMsgCode.MsgIdBadLowBits;
        }

        if (msgId < MsgId.FromTime(now - (maxPast ?? DefaultMaxPast)))
        {
            return BadMsgCode.MsgIdTooLow;
        }

        if (msgId > MsgId.FromTime(now + (maxFuture ?? DefaultMaxFuture)))
        {
            return BadMsgCode.MsgIdTooHigh;
        }

        return null;
    }
}
