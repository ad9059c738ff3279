using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Client;

/// <summary>
/// A client over any <see cref="IPacketTransport"/>: creates an auth key with <see cref="HandshakeClient"/>, then
/// talks in one encrypted <see cref="ClientSession"/>. Request and answer only for now (each exchange sends one packet
/// and reads the next); <see cref="Session"/> gives full control of every header for negative tests, and
/// <see cref="PacketObserver"/> sees every raw packet in both directions. Not thread-safe.
/// </summary>
public sealed class MtProtoClient : IAsyncDisposable
{
    private MtProtoClient(IPacketTransport transport, AuthKey authKey, ClientSession session)
    {
        Transport = transport;
        AuthKey = authKey;
        Session = session;
    }

    /// <summary>The transport.</summary>
    public IPacketTransport Transport { get; }

    /// <summary>The auth key the handshake created (wiped when the client is disposed).</summary>
    public AuthKey AuthKey { get; }

    /// <summary>The session: salt, session_id, msg_id and seq_no sources.</summary>
    public ClientSession Session { get; }

    /// <summary>Called with every raw packet: true for sent, false for received.</summary>
    public Action<byte[], bool>? PacketObserver { get; set; }

    /// <summary>Runs the handshake over <paramref name="transport"/> and starts a session on the new key.</summary>
    /// <exception cref="HandshakeException">The server's answers failed a check.</exception>
    /// <exception cref="TransportErrorException">The server refused a handshake step.</exception>
    public static async Task<MtProtoClient> ConnectAsync(IPacketTransport transport, RsaPublicKey serverKey,
        HandshakeClientOptions? options = null, Action<byte[], bool>? packetObserver = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(serverKey);
        var handshake = new HandshakeClient([serverKey], options);
        var msgIds = new MsgIdGenerator(options?.Clock);
        async Task<byte[]> Step(byte[] query)
        {
            byte[] answer = await Exchange(transport, UnencryptedMessage.Build(msgIds.Next(MsgIdSender.Client), query), packetObserver, cancel)
                .ConfigureAwait(false);
            if (!UnencryptedMessage.TryRead(answer, out _, out int length, allowTrailing: true))
            {
                throw new HandshakeException($"expected an unencrypted message, got {answer.Length} bytes");
            }

            return answer.AsSpan(UnencryptedMessage.HeaderSize, length).ToArray();
        }

        byte[] setDh = handshake.OnServerDhParams(await Step(handshake.OnResPq(await Step(handshake.Start()).ConfigureAwait(false)))
            .ConfigureAwait(false));
        HandshakeClientResult result = handshake.OnDhGen(await Step(setDh).ConfigureAwait(false));
        while (result is HandshakeClientRetry retry)
        {
            result = handshake.OnDhGen(await Step(retry.Query).ConfigureAwait(false));
        }

        var done = (HandshakeClientDone)result;
        var authKey = AuthKey.FromBytes(done.AuthKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(done.AuthKey);
        var session = new ClientSession(authKey, done.ServerSalt, options?.Clock);
        session.MsgIds.ClockOffset = done.ServerTimeOffset;
        return new MtProtoClient(transport, authKey, session) { PacketObserver = packetObserver };
    }

    /// <summary>
    /// Sends <paramref name="body"/> in the next message of the session and returns what the answer packet carries
    /// (a container's contents in order).
    /// </summary>
    /// <exception cref="TransportErrorException">The server answered with a transport error.</exception>
    public async Task<IReadOnlyList<TlObject>> SendAsync(TlObject body, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        (byte[] wire, _) = Session.Encrypt(TlCodec.MTProto.Serialize(body), ContentRelated.IsContentRelated(body.Combinator.Id));
        return await SendRawAsync(wire, cancel).ConfigureAwait(false);
    }

    /// <summary>Sends an already encrypted packet (built with <see cref="Session"/>, any header) and opens the answer.</summary>
    public async Task<IReadOnlyList<TlObject>> SendRawAsync(byte[] wire, CancellationToken cancel = default) =>
        Open(await Exchange(Transport, wire, PacketObserver, cancel).ConfigureAwait(false));

    /// <summary>Decrypts a server packet and lists the objects it carries.</summary>
    /// <exception cref="TransportErrorException">The packet is a transport error code.</exception>
    /// <exception cref="InvalidDataException">The packet is not a valid message of this session's key.</exception>
    public IReadOnlyList<TlObject> Open(byte[] packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (!Session.TryDecrypt(packet, out _, out byte[] data))
        {
            throw new InvalidDataException($"The server's {packet.Length}-byte packet does not decrypt under this key.");
        }

        TlObject body = TlCodec.MTProto.Deserialize(data);
        return body.Combinator.Id == ContentRelated.MsgContainer
            ? body.Get<object?[]>("messages").Cast<TlObject>().Select(m => m.Get<TlObject>("body")).ToArray()
            : [body];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        AuthKey.Dispose();
        await Transport.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<byte[]> Exchange(IPacketTransport transport, byte[] packet, Action<byte[], bool>? observer, CancellationToken cancel)
    {
        observer?.Invoke(packet, true);
        await transport.SendAsync(packet, cancel).ConfigureAwait(false);
        byte[] answer = await transport.ReceiveAsync(cancel).ConfigureAwait(false)
            ?? throw new IOException("The server closed the connection without answering.");
        observer?.Invoke(answer, false);
        if (answer.Length == 4)
        {
            throw new TransportErrorException(BinaryPrimitives.ReadInt32LittleEndian(answer));
        }

        return answer;
    }
}
