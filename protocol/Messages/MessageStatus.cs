namespace Testbed.Protocol.Messages;

/// <summary>
/// The status byte msgs_state_info gives for each msg_id asked about in msgs_state_req (docs/protocol.md §8): what
/// the receiver knows of a message the asker sent.
/// </summary>
public static class MessageStatus
{
    /// <summary>Nothing is known: the id is below every remembered one.</summary>
    public const byte Unknown = 1;

    /// <summary>Not received, and the id lies within the remembered range.</summary>
    public const byte NotReceived = 2;

    /// <summary>Not received, and the id is above every one received so far.</summary>
    public const byte NotReceivedYet = 3;

    /// <summary>Received (the answer doubles as an acknowledgement).</summary>
    public const byte Received = 4;

    /// <summary>Flag: the message needs no acknowledgement (it was not content-related).</summary>
    public const byte NoAckNeeded = 16;

    /// <summary>Flag: an RPC query in the message is being processed or has been.</summary>
    public const byte RpcProcessed = 32;

    /// <summary>Flag: a content-related response to the message has been generated.</summary>
    public const byte ResponseGenerated = 64;

    /// <summary>The status of <paramref name="msgId"/> given the receiver's replay window.</summary>
    /// <param name="window">The msg_ids the receiver processed.</param>
    /// <param name="msgId">The id asked about.</param>
    /// <param name="answered">Whether the receiver produced an answer to it (an RPC result).</param>
    public static byte Of(MsgIdWindow window, long msgId, bool answered)
    {
        ArgumentNullException.ThrowIfNull(window);
        switch (window.Check(msgId))
        {
            case MsgIdWindowCheck.Fresh:
                return NotReceivedYet;
            case MsgIdWindowCheck.BelowWindow:
                return Unknown;
            case MsgIdWindowCheck.FreshOutOfOrder:
                return NotReceived;
        }

        byte status = Received;
        if (window.Find(msgId) is { } seen && (seen.SeqNo & 1) == 0)
        {
            status |= NoAckNeeded;
        }

        return answered ? (byte)(status | RpcProcessed | ResponseGenerated) : status;
    }
}
