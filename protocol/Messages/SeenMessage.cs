namespace Testbed.Protocol.Messages;

/// <summary>A message a receiver has processed: its msg_id and seq_no.</summary>
/// <param name="MsgId">msg_id.</param>
/// <param name="SeqNo">seq_no.</param>
public readonly record struct SeenMessage(long MsgId, int SeqNo);
