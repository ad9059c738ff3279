using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Sessions;

/// <summary>
/// A client's side of one encrypted session (docs/protocol.md §2–§3): a random session_id, the current salt, msg_ids
/// from the clock plus the server-time offset, seq_nos from the content-related count. <see cref="Encrypt(EnvelopeHeader, ReadOnlySpan{byte}, int)"/>
/// takes any header and any padding length, so negative tests and the lab can send exactly what they want.
/// Not thread-safe.
/// </summary>
public sealed class ClientSession
{
    private readonly AuthKey _authKey;

    /// <summary>Starts a session on <paramref name="authKey"/> with the salt the handshake or the server gave.</summary>
    public ClientSession(AuthKey authKey, long salt, TimeProvider? clock = null, long? sessionId = null)
    {
        _authKey = authKey ?? throw new ArgumentNullException(nameof(authKey));
        Salt = salt;
        SessionId = sessionId ?? BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        MsgIds = new MsgIdGenerator(clock);
    }

    /// <summary>session_id.</summary>
    public long SessionId { get; }

    /// <summary>The salt put in outgoing messages; update it from bad_server_salt or new_session_created.</summary>
    public long Salt { get; set; }

    /// <summary>The msg_id source (set its <see cref="MsgIdGenerator.ClockOffset"/> from server_time).</summary>
    public MsgIdGenerator MsgIds { get; }

    /// <summary>The seq_no source.</summary>
    public SeqNoCounter SeqNos { get; } = new();

    /// <summary>Another session on the same key: a fresh session_id and seq_no count, the same salt and clock offset.</summary>
    public ClientSession NewSession(TimeProvider? clock = null)
    {
        var session = new ClientSession(_authKey, Salt, clock);
        session.MsgIds.ClockOffset = MsgIds.ClockOffset;
        return session;
    }

    /// <summary>The next header for a message, advancing msg_id and seq_no.</summary>
    public EnvelopeHeader NextHeader(bool contentRelated) =>
        new(Salt, SessionId, MsgIds.Next(MsgIdSender.Client), SeqNos.Next(contentRelated));

    /// <summary>Encrypts <paramref name="messageData"/> with the next header and the default padding policy.</summary>
    public (byte[] Wire, EnvelopeHeader Header) Encrypt(ReadOnlySpan<byte> messageData, bool contentRelated)
    {
        EnvelopeHeader header = NextHeader(contentRelated);
        return (Encrypt(header, messageData, PaddingPolicy.Default.ChooseLength(messageData.Length)), header);
    }

    /// <summary>
    /// Puts several messages in one msg_container (each with its own msg_id and seq_no, the container's id above
    /// them all) and encrypts it.
    /// </summary>
    public (byte[] Wire, EnvelopeHeader Container, EnvelopeHeader[] Inner) EncryptContainer(IReadOnlyList<(byte[] Body, bool ContentRelated)> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        EnvelopeHeader[] inner = messages.Select(m => NextHeader(m.ContentRelated)).ToArray();
        byte[] data = MessageContainer.Build(inner.Zip(messages, (h, m) => (h.MsgId, h.SeqNo, m.Body)).ToArray());
        EnvelopeHeader container = NextHeader(contentRelated: false);
        return (Encrypt(container, data, PaddingPolicy.Default.ChooseLength(data.Length)), container, inner);
    }

    /// <summary>Encrypts with exactly the header and padding length given (conforming padding: 12..1024).</summary>
    public byte[] Encrypt(EnvelopeHeader header, ReadOnlySpan<byte> messageData, int paddingLength)
    {
        byte[] wire = new byte[MessageEnvelope.GetWireLength(messageData.Length, paddingLength)];
        MessageEnvelope.Encrypt(_authKey, MessageDirection.ClientToServer, header, messageData, paddingLength, wire);
        return wire;
    }

    /// <summary>Decrypts a server message; false for anything that is not a valid message of this key.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> wire, out EnvelopeHeader header, out byte[] messageData) =>
        Client.ServerEnvelope.TryOpen(_authKey, Client.ClientFaults.None, wire, out header, out messageData);
}
