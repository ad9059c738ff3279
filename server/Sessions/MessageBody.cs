using System.Buffers.Binary;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Sessions;

/// <summary>
/// A client message's body, read on its own (docs/protocol.md §4.3): the object, or why it does not parse. A body that
/// does not parse is still a message: once it passed the envelope and session checks it is answered with an
/// rpc_error the client can read, and the messages beside it in its container are processed as usual.
/// </summary>
/// <param name="Object">The decoded object; null when the body does not parse.</param>
/// <param name="ConstructorId">The body's first four bytes (0 when it is shorter), which classify it for seq_no.</param>
/// <param name="Problem">Why the body does not parse; null when it does.</param>
internal sealed record MessageBody(TlObject? Object, uint ConstructorId, TlDecodeException? Problem)
{
    /// <summary>Whether the message needs an acknowledgement: what the decoded object is, else what its id says.</summary>
    public bool IsContentRelated => ContentRelated.IsContentRelated(ConstructorId);

    /// <summary>
    /// Whether the body names a function the server does not serve: an unknown constructor where the message starts,
    /// or as the query an API wrapper carries (docs/protocol.md §4.3). Other problems are garbled data.
    /// </summary>
    public bool IsUnknownFunction => Problem is { } problem
        && (problem.Error == TlDecodeError.UnknownFunction || (problem.Error == TlDecodeError.UnknownConstructor && problem.Offset == 0));

    /// <summary>Reads a body that must fill <paramref name="data"/> exactly.</summary>
    public static MessageBody Read(TlCodec codec, ReadOnlySpan<byte> data)
    {
        try
        {
            return Of(codec.Deserialize(data));
        }
        catch (TlDecodeException e)
        {
            return Unreadable(data, e);
        }
    }

    /// <summary>A body that parsed.</summary>
    public static MessageBody Of(TlObject value) => new(value, value.Combinator.Id, null);

    /// <summary>A body that did not parse.</summary>
    public static MessageBody Unreadable(ReadOnlySpan<byte> data, TlDecodeException problem) =>
        new(null, data.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(data) : 0, problem);
}
