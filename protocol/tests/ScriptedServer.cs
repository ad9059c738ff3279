using System.Threading.Channels;
using Testbed.Protocol.Client;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

/// <summary>
/// A transport whose far end is the test: it reads what <see cref="MtProtoClient"/> sent and writes server packets,
/// well-formed or broken on purpose, so orderings and defects real servers produce rarely happen every time. A stream
/// (TCP-like) unless <paramref name="requestResponse"/> (HTTP-like: the client's http_wait polls are skipped).
/// </summary>
/// <param name="requestResponse">Behave as HTTP does.</param>
/// <param name="authKey">The auth key (a random one if null).</param>
internal sealed class ScriptedServer(bool requestResponse = false, byte[]? authKey = null) : IPacketTransport
{
    private static readonly TlCodec Codec = TlCodec.Testbed;
    private readonly Channel<byte[]> _fromClient = Channel.CreateUnbounded<byte[]>();
    private readonly Channel<byte[]> _toClient = Channel.CreateUnbounded<byte[]>();

    // HTTP-like: a long poll (http_wait) lasts until the server sends something, so the client's poll loop does not spin.
    private TaskCompletionSource _spoke = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AuthKey Key { get; } = AuthKey.FromBytes(authKey ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));

    public MsgIdGenerator MsgIds { get; } = new();

    public bool IsRequestResponse => requestResponse;

    /// <summary>Starts a client on this server's key, with the faults given.</summary>
    public MtProtoClient NewClient(ClientFaults faults = ClientFaults.None) =>
        MtProtoClient.Resume(this, Key.Bytes, salt: 1, faults: faults);

    /// <summary>A second connection to the same server (the same auth key).</summary>
    public ScriptedServer NewConnection() => new(requestResponse, Key.Bytes.ToArray());

    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        Task spoke = _spoke.Task;
        byte[] wire = packet.ToArray();
        await _fromClient.Writer.WriteAsync(wire, cancel);
        if (requestResponse && IsHttpWait(Open(wire).Data))
        {
            await spoke.WaitAsync(cancel);
        }
    }

    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default) =>
        await _toClient.Reader.WaitToReadAsync(cancel) ? await _toClient.Reader.ReadAsync(cancel) : null;

    /// <summary>The header of the next message the client sent.</summary>
    public async Task<EnvelopeHeader> ReceiveAsync() => (await ReceiveMessageAsync()).Header;

    /// <summary>The next message the client sent (an http_wait poll skipped): its header and message_data.</summary>
    public async Task<(EnvelopeHeader Header, byte[] Data)> ReceiveMessageAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            (EnvelopeHeader Header, byte[] Data) message = Open(await _fromClient.Reader.ReadAsync(patience.Token));
            if (!IsHttpWait(message.Data))
            {
                return message;
            }
        }
    }

    /// <summary>Encrypts <paramref name="body"/> as a content-related server message and hands it to the client.</summary>
    public void Send(long sessionId, long msgId, TlObject body, MessageDirection direction = MessageDirection.ServerToClient) =>
        SendData(new EnvelopeHeader(1, sessionId, msgId, 1), Codec.Serialize(body), direction);

    /// <summary>A msg_container under <paramref name="containerMsgId"/> holding content-related messages.</summary>
    public void SendContainer(long sessionId, long containerMsgId, params (long MsgId, TlObject Body)[] messages) =>
        SendData(new EnvelopeHeader(1, sessionId, containerMsgId, 2),
            MessageContainer.Build([.. messages.Select(m => (m.MsgId, 1, Codec.Serialize(m.Body)))]), MessageDirection.ServerToClient);

    /// <summary>
    /// A message encrypted with the keys an arbitrary msg_key gives, that msg_key sent as is: it opens to a valid
    /// plaintext, but only a client that does not check msg_key takes it.
    /// </summary>
    public void SendWithForgedMsgKey(long sessionId, long msgId, TlObject body)
    {
        byte[] data = Codec.Serialize(body);
        int padding = PaddingPolicy.Default.ChooseLength(data.Length);
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
        Span<byte> plaintext = wire.AsSpan(MessageEnvelope.WireHeaderSize).ToArray();
        MessageEnvelope.WritePlaintextHeader(plaintext, new EnvelopeHeader(1, sessionId, msgId, 1), data.Length);
        data.CopyTo(plaintext[MessageEnvelope.PlaintextHeaderSize..]);
        Key.WriteId(wire);
        Span<byte> msgKey = wire.AsSpan(8, MessageKey.Size);
        System.Security.Cryptography.RandomNumberGenerator.Fill(msgKey);
        byte[] aesKey = new byte[MessageKey.AesKeySize], aesIv = new byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(Key, MessageDirection.ServerToClient, msgKey, aesKey, aesIv);
        AesIge.Encrypt(aesKey, aesIv, plaintext, wire.AsSpan(MessageEnvelope.WireHeaderSize));
        Deliver(wire);
    }

    public ValueTask DisposeAsync()
    {
        _toClient.Writer.TryComplete();
        Key.Dispose();
        return ValueTask.CompletedTask;
    }

    private void SendData(EnvelopeHeader header, byte[] data, MessageDirection direction)
    {
        int padding = PaddingPolicy.Default.ChooseLength(data.Length);
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
        MessageEnvelope.Encrypt(Key, direction, header, data, padding, wire);
        Deliver(wire);
    }

    private static bool IsHttpWait(byte[] data) => Codec.Deserialize(data).Combinator.Name == "http_wait";

    private (EnvelopeHeader Header, byte[] Data) Open(byte[] wire)
    {
        byte[] plaintext = new byte[wire.Length - MessageEnvelope.WireHeaderSize];
        Assert.True(MessageEnvelope.TryDecrypt(Key, MessageDirection.ClientToServer, wire, plaintext, out DecryptedEnvelope envelope));
        return (envelope.Header, envelope.MessageData(plaintext).ToArray());
    }

    private void Deliver(byte[] wire)
    {
        _toClient.Writer.TryWrite(wire);
        Interlocked.Exchange(ref _spoke, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
