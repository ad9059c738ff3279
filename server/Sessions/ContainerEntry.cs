namespace Testbed.Server.Sessions;

/// <summary>One message of a client's msg_container, as <see cref="ClientContainer"/> read it.</summary>
/// <param name="MsgId">Its msg_id.</param>
/// <param name="SeqNo">Its seqno.</param>
/// <param name="Bytes">Its bytes field: what the client says its body's length is.</param>
/// <param name="BodyLength">The length its body took: the object's, or <paramref name="Bytes"/> for one that does not parse.</param>
/// <param name="Body">Its body.</param>
internal sealed record ContainerEntry(long MsgId, int SeqNo, int Bytes, int BodyLength, MessageBody Body);
