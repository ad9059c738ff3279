namespace Testbed.Protocol.Messages;

/// <summary>
/// The receiver's seq_no checks (docs/protocol.md §3.3). A seq_no is odd exactly when the message is
/// content-related, and seq_no never decreases as msg_id grows; two messages may share a seq_no only if the
/// earlier one is not content-related (only content-related messages advance the counter).
/// </summary>
public static class SeqNoRules
{
    /// <summary>Checks parity, then the order against the neighbouring processed messages.</summary>
    /// <param name="seqNo">The new message's seq_no.</param>
    /// <param name="contentRelated">Whether the new message is content-related (<see cref="ContentRelated"/>).</param>
    /// <param name="previous">The processed message with the highest msg_id below the new one, if any.</param>
    /// <param name="next">The processed message with the lowest msg_id above the new one, if any.</param>
    /// <returns>null when acceptable, else 35, 34, 32 or 33.</returns>
    public static BadMsgCode? Check(int seqNo, bool contentRelated, SeenMessage? previous, SeenMessage? next) =>
        CheckParity(seqNo, contentRelated) ?? CheckOrder(seqNo, previous, next);

    /// <summary>Odd for content-related messages, even for the others (codes 35 and 34); negative is too low.</summary>
    public static BadMsgCode? CheckParity(int seqNo, bool contentRelated)
    {
        if (seqNo < 0)
        {
            return BadMsgCode.SeqNoTooLow;
        }

        bool odd = (seqNo & 1) == 1;
        if (contentRelated && !odd)
        {
            return BadMsgCode.OddSeqNoExpected;
        }

        return !contentRelated && odd ? BadMsgCode.EvenSeqNoExpected : null;
    }

    /// <summary>
    /// seq_no against its neighbours by msg_id: lower than the previous one's, or equal to an odd one, is too low
    /// (32); higher than the next one's, or equal to it while odd itself, is too high (33).
    /// </summary>
    public static BadMsgCode? CheckOrder(int seqNo, SeenMessage? previous, SeenMessage? next)
    {
        if (previous is { } before && (seqNo < before.SeqNo || (seqNo == before.SeqNo && (before.SeqNo & 1) == 1)))
        {
            return BadMsgCode.SeqNoTooLow;
        }

        if (next is { } after && (seqNo > after.SeqNo || (seqNo == after.SeqNo && (seqNo & 1) == 1)))
        {
            return BadMsgCode.SeqNoTooHigh;
        }

        return null;
    }
}
