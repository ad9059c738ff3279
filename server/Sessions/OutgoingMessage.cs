namespace Testbed.Server.Sessions;

/// <summary>
/// A server message of one session: its msg_id and seq_no, fixed when it is created, and its body. One that must be
/// acknowledged stays in the <see cref="SessionOutbox"/> until it is.
/// </summary>
/// <param name="MsgId">msg_id, from the session's generator.</param>
/// <param name="SeqNo">seq_no, from the session's counter.</param>
/// <param name="Body">The serialized TL object.</param>
/// <param name="KeepUntilAcked">Re-sent until the client acknowledges it (rpc_result, new_session_created, updates).</param>
internal sealed record OutgoingMessage(long MsgId, int SeqNo, byte[] Body, bool KeepUntilAcked)
{
    /// <summary>When it last went out; null while it is due.</summary>
    public DateTimeOffset? LastSent { get; set; }

    /// <summary>How many times it went out.</summary>
    public int Transmissions { get; set; }

    /// <summary>Called once when the client acknowledges it (the chat layer marks a message delivered).</summary>
    public Action? OnAcknowledged { get; init; }

    /// <summary>
    /// The id <see cref="OnAcknowledged"/> records (a chat message's), kept with the message in a cluster's session
    /// journal so that the node that takes the session over can record it too.
    /// </summary>
    public long? ReceiptId { get; init; }
}
