using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>One message the client sent, as the hostile server opened it (a container's messages one by one).</summary>
/// <param name="MsgId">Its msg_id.</param>
/// <param name="SeqNo">Its seq_no.</param>
/// <param name="Body">Its bytes as sent (for the re-send invariant: the same msg_id must always carry these).</param>
/// <param name="Object">The body read with the testbed's schema (gzip_packed opened); null when it does not parse.</param>
/// <param name="Contained">Whether it travelled inside a msg_container.</param>
internal sealed record ClientMessage(long MsgId, int SeqNo, byte[] Body, TlObject? Object, bool Contained)
{
    /// <summary>The constructor's name, or its id in hex when the schema does not know it.</summary>
    public string Name => Object?.Combinator.Name ?? (Body.Length >= 4 ? $"#{BitConverter.ToUInt32(Body):x8}" : "?");

    /// <summary>The body with API wrappers (invokeWithLayer, initConnection, invokeWithoutUpdates …) taken off.</summary>
    public TlObject? Query
    {
        get
        {
            TlObject? query = Object;
            while (query?.Combinator.Name is "invokeWithLayer" or "initConnection" or "invokeWithoutUpdates" or "invokeAfterMsg" or "invokeAfterMsgs")
            {
                query = query.Get<TlObject>("query");
            }

            return query;
        }
    }

    /// <summary>Whether the body is content-related by its constructor (docs/protocol.md §3.3).</summary>
    public bool IsContentRelated => Body.Length >= 4 && ContentRelated.IsContentRelated(BitConverter.ToUInt32(Body));
}

/// <summary>One encrypted packet the client sent, opened with the key the hostile server holds.</summary>
/// <param name="Connection">Which connection (1, 2 … in accept order).</param>
/// <param name="Header">The envelope's header.</param>
/// <param name="Plaintext">The whole plaintext, padding included: the re-send rule compares these (new padding under an old header is
/// exactly attack 2's re-encryption).</param>
/// <param name="Messages">The messages: one, or a container's.</param>
/// <param name="Arrived">When the server read it (to compare the client's msg_id time with the server's clock).</param>
internal sealed record ClientPacket(int Connection, EnvelopeHeader Header, byte[] Plaintext, IReadOnlyList<ClientMessage> Messages, DateTimeOffset Arrived);
