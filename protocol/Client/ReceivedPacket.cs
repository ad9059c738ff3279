using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Client;

/// <summary>One message the server sent: its own header (an inner one for a container's messages) and body.</summary>
/// <param name="MsgId">msg_id.</param>
/// <param name="SeqNo">seq_no.</param>
/// <param name="Body">The object, gzip_packed already unpacked.</param>
/// <param name="Duplicate">Whether this msg_id had already been received (a re-send); duplicates are not dispatched.</param>
public sealed record ReceivedMessage(long MsgId, int SeqNo, TlObject Body, bool Duplicate);

/// <summary>
/// One packet from the server as <see cref="MtProtoClient"/> saw it: a transport error code, a packet it could not
/// open, or an encrypted message with the messages it carried.
/// </summary>
/// <param name="Raw">The packet's bytes.</param>
/// <param name="TransportError">The negative code of a 4-byte error packet; 0 otherwise.</param>
/// <param name="Header">The outer header, when the packet decrypted.</param>
/// <param name="Messages">The messages it carried, in order (one unless it is a container).</param>
/// <param name="Problem">Why the packet was dropped, if it was: it did not decrypt, named another session, or did not parse.</param>
public sealed record ReceivedPacket(byte[] Raw, int TransportError, EnvelopeHeader? Header, IReadOnlyList<ReceivedMessage> Messages, string? Problem);
