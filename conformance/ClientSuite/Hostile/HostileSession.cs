using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// The server side of one client session on a key the hostile handshake made: the salt, the client's session_id, the
/// server's msg_id and seq_no sources, and the connection the client last used. A case sends through it, correctly or
/// with one <see cref="Seal"/> field wrong.
/// </summary>
internal sealed class HostileSession
{
    private readonly SeqNoCounter _seqNo = new();
    private readonly MsgIdGenerator _msgIds;
    private readonly Lock _lock = new();

    public HostileSession(AuthKey key, long salt, long sessionId, TimeSpan clockOffset, WireLog log)
    {
        (Key, Salt, SessionId, Log) = (key, salt, sessionId, log);
        _msgIds = new MsgIdGenerator { ClockOffset = clockOffset };
    }

    public AuthKey Key { get; }

    /// <summary>The salt the server expects and sends (a case may change it, then tell the client).</summary>
    public long Salt { get; set; }

    public long SessionId { get; }

    public WireLog Log { get; }

    /// <summary>The connection of the client's latest packet, where the server's messages go.</summary>
    internal HostileConnection? Connection { get; set; }

    /// <summary>The server's clock offset: msg_ids are made at now + this.</summary>
    public TimeSpan ClockOffset
    {
        get => _msgIds.ClockOffset;
        set => _msgIds.ClockOffset = value;
    }

    /// <summary>The session's next server msg_id: 1 mod 4 for an answer, 3 mod 4 for a push.</summary>
    public long NextMsgId(bool unprompted = false)
    {
        lock (_lock)
        {
            return _msgIds.Next(unprompted ? MsgIdSender.ServerNotification : MsgIdSender.ServerResponse);
        }
    }

    /// <summary>Seals <paramref name="body"/> and sends it; returns the msg_id it went under.</summary>
    public Task<long> SendAsync(TlObject body, Seal? seal = null) => SendAsync(TlCodec.Testbed.Serialize(body), seal);

    /// <summary>Seals message data and sends it; returns the msg_id it went under.</summary>
    public async Task<long> SendAsync(byte[] data, Seal? seal = null)
    {
        (byte[] packet, long msgId) = Build(data, seal ?? Seal.Correct);
        await SendPacketAsync(packet);
        return msgId;
    }

    /// <summary>Sends a packet as it is (a replay of one sent before, say).</summary>
    public Task SendPacketAsync(byte[] packet) =>
        (Connection ?? throw new InvalidOperationException("the client has no connection")).SendAsync(packet);

    /// <summary>Builds the packet for <paramref name="data"/> sealed as <paramref name="seal"/> says, and its msg_id.</summary>
    public (byte[] Packet, long MsgId) Build(byte[] data, Seal seal)
    {
        bool contentRelated = seal.ContentRelated ?? ContentRelated.IsContentRelated(BinaryPrimitives.ReadUInt32LittleEndian(data));
        long msgId = seal.MsgId ?? NextMsgId(seal.Unprompted);
        int seqNo;
        lock (_lock)
        {
            seqNo = seal.SeqNo ?? _seqNo.Next(contentRelated);
        }

        int unpadded = MessageEnvelope.PlaintextHeaderSize + data.Length;
        int padding = seal.Padding ?? PaddingPolicy.MinLength + ((16 - ((unpadded + PaddingPolicy.MinLength) % 16)) % 16);
        byte[] plaintext = new byte[unpadded + padding];
        var header = new EnvelopeHeader(seal.Salt ?? Salt, seal.SessionId ?? SessionId, msgId, seqNo);
        MessageEnvelope.WritePlaintextHeader(plaintext, header, data.Length + seal.LengthLie);
        data.CopyTo(plaintext.AsSpan(MessageEnvelope.PlaintextHeaderSize));
        RandomNumberGenerator.Fill(plaintext.AsSpan(unpadded));

        byte[] packet = new byte[MessageEnvelope.WireHeaderSize + plaintext.Length];
        if (seal.FlipMsgKeyBit)
        {
            SealUnderFlippedMsgKey(plaintext, seal.Direction, packet);
        }
        else
        {
            MessageEnvelope.EncryptPlaintext(Key, seal.Direction, plaintext, packet);
        }

        if (seal.ForeignKeyId)
        {
            RandomNumberGenerator.Fill(packet.AsSpan(0, 8));
        }

        return (packet, msgId);
    }

    /// <summary>
    /// msg_key with one bit flipped, and the AES key and IV derived from the flipped value: the ciphertext opens to the
    /// real plaintext, but only for a receiver that never recomputes msg_key (docs/protocol.md §2.4).
    /// </summary>
    private void SealUnderFlippedMsgKey(byte[] plaintext, MessageDirection direction, byte[] packet)
    {
        Span<byte> msgKey = packet.AsSpan(8, MessageKey.Size);
        MessageKey.Compute(Key, direction, plaintext, msgKey);
        msgKey[0] ^= 0x01;
        Key.WriteId(packet);
        byte[] aesKey = new byte[MessageKey.AesKeySize], aesIv = new byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(Key, direction, msgKey, aesKey, aesIv);
        AesIge.Encrypt(aesKey, aesIv, plaintext, packet.AsSpan(MessageEnvelope.WireHeaderSize));
    }
}
