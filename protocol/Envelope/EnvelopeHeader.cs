namespace Testbed.Protocol.Envelope;

/// <summary>The first 24 bytes of an encrypted message's plaintext, before message_data_length (docs/protocol.md §2.1).</summary>
/// <param name="Salt">server_salt.</param>
/// <param name="SessionId">session_id.</param>
/// <param name="MsgId">msg_id.</param>
/// <param name="SeqNo">seq_no.</param>
public readonly record struct EnvelopeHeader(long Salt, long SessionId, long MsgId, int SeqNo);
