using System.Buffers.Binary;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Harness;

/// <summary>
/// A connection with an auth key and a session on it, used request-and-answer style: every header and byte a case
/// sends is its own choice (<see cref="Session"/> builds any header), and each answer is opened as far as it goes.
/// </summary>
internal sealed class Probe : IAsyncDisposable
{
    /// <summary>How long a case waits for an answer that may not come.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly TlCodec _codec = TlCodec.Testbed;

    // A receive left running when a wait times out: cancelling a WebSocket receive would abort the socket, so the
    // next wait takes the same receive over instead.
    private Task<byte[]?>? _pendingReceive;

    private Probe(Target target, IPacketTransport transport, AuthKey key, ClientSession session)
    {
        Target = target;
        Transport = transport;
        Key = key;
        Session = session;
    }

    /// <summary>A session of its own on <paramref name="shared"/>'s key, over <paramref name="transport"/>.</summary>
    private static Probe OnKey(Target target, IPacketTransport transport, SharedKey shared)
    {
        var key = AuthKey.FromBytes(shared.Key);
        var session = new ClientSession(key, shared.Salt);
        session.MsgIds.ClockOffset = shared.ClockOffset;
        return new Probe(target, transport, key, session);
    }

    public Target Target { get; private set; }

    public IPacketTransport Transport { get; private set; }

    public AuthKey Key { get; }

    public ClientSession Session { get; }

    /// <summary>Connects, creates a key and starts a session (its first message not yet sent).</summary>
    public static async Task<Probe> OpenAsync(Target target, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(target);
        IPacketTransport transport = await target.ConnectAsync(cancel).ConfigureAwait(false);
        SharedKey own;
        try
        {
            own = await SharedKey.CreateOnAsync(transport, target, cancel).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false); // the probe that would have owned it is never made
            throw;
        }

        Probe probe = OnKey(target, transport, own);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(own.Key); // the probe's AuthKey holds its own copy
        return probe;
    }

    /// <summary>A new session (and connection) on an existing key: the run's shared key, so that cases cost no handshake.</summary>
    public static async Task<Probe> OpenOnKeyAsync(Target target, SharedKey shared, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(shared);
        return OnKey(target, await target.ConnectAsync(cancel).ConfigureAwait(false), shared);
    }

    /// <summary>Sends a first ping, so that new_session_created and the current salt are out of the way.</summary>
    public async Task<Probe> WarmAsync(CancellationToken cancel)
    {
        Probe probe = this;
        Reply first = await probe.SendAsync(Ping(0), cancel).ConfigureAwait(false);
        if (first.Find("bad_server_salt") is { } badSalt)
        {
            probe.Session.Salt = badSalt.Get<long>("new_server_salt");
            first = await probe.SendAsync(Ping(0), cancel).ConfigureAwait(false);
        }

        if (first.Find("new_session_created") is { } created)
        {
            probe.Session.Salt = created.Get<long>("server_salt");
        }

        return probe;
    }

    /// <summary>Builds any plaintext (header fields, length field, data, padding) and encrypts it with a correct msg_key.</summary>
    public byte[] SealPlaintext(EnvelopeHeader header, int lengthField, ReadOnlySpan<byte> data, int paddingLength)
    {
        byte[] plaintext = new byte[MessageEnvelope.PlaintextHeaderSize + data.Length + paddingLength];
        MessageEnvelope.WritePlaintextHeader(plaintext, header, data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(plaintext.AsSpan(28), lengthField);
        data.CopyTo(plaintext.AsSpan(MessageEnvelope.PlaintextHeaderSize));
        System.Security.Cryptography.RandomNumberGenerator.Fill(plaintext.AsSpan(MessageEnvelope.PlaintextHeaderSize + data.Length));
        byte[] wire = new byte[MessageEnvelope.WireHeaderSize + plaintext.Length];
        MessageEnvelope.EncryptPlaintext(Key, MessageDirection.ClientToServer, plaintext, wire);
        return wire;
    }

    /// <summary>Serializes an object with the testbed's schema.</summary>
    public byte[] Serialize(TlObject body) => _codec.Serialize(body);

    public static TlObject Ping(long id) => new(TlSchema.Testbed["ping"], id);

    public static TlObject Call(string name, params object?[] values) => new(TlSchema.Testbed[name], values);

    /// <summary>Encrypts <paramref name="body"/> under the session's next header and exchanges it.</summary>
    public Task<Reply> SendAsync(TlObject body, CancellationToken cancel) =>
        ExchangeAsync(Session.Encrypt(_codec.Serialize(body), ContentRelated.IsContentRelated(body.Combinator.Id)).Wire, cancel);

    /// <summary>Encrypts with exactly this header and the smallest conforming padding, and exchanges it.</summary>
    public Task<Reply> SendAsync(EnvelopeHeader header, TlObject body, CancellationToken cancel)
    {
        byte[] data = _codec.Serialize(body);
        return ExchangeAsync(Session.Encrypt(header, data, PaddingPolicy.MinimalLength(data.Length)), cancel);
    }

    /// <summary>The wire bytes of a message with the next header (for cases that damage or replay them).</summary>
    public byte[] Seal(TlObject body, out EnvelopeHeader header)
    {
        (byte[] wire, header) = Session.Encrypt(_codec.Serialize(body), ContentRelated.IsContentRelated(body.Combinator.Id));
        return wire;
    }

    /// <summary>Sends raw bytes and waits for the next packet (<see cref="AnswerTimeout"/> at most).</summary>
    public async Task<Reply> ExchangeAsync(byte[] wire, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(wire);
        try
        {
            await Transport.SendAsync(wire, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.WebSockets.WebSocketException or HttpRequestException)
        {
            return Reply.ClosedConnection;
        }

        return await NextAsync(AnswerTimeout, cancel).ConfigureAwait(false);
    }

    /// <summary>The next packet the server sends, within <paramref name="wait"/>.</summary>
    public async Task<Reply> NextAsync(TimeSpan wait, CancellationToken cancel)
    {
        _pendingReceive ??= Transport.ReceiveAsync(CancellationToken.None);
        byte[]? packet;
        try
        {
            packet = await _pendingReceive.WaitAsync(wait, cancel).ConfigureAwait(false);
            _pendingReceive = null;
        }
        catch (TimeoutException)
        {
            return Reply.Silence;
        }
        catch (Exception e) when (e is IOException or System.Net.WebSockets.WebSocketException or InvalidDataException or ObjectDisposedException)
        {
            _pendingReceive = null;
            return Reply.ClosedConnection;
        }

        return packet is null ? Reply.ClosedConnection : Open(packet);
    }

    /// <summary>Opens a server packet as far as it goes.</summary>
    /// <exception cref="RateLimitedException">The packet is transport error -429: nothing about the case can be judged.</exception>
    public Reply Open(byte[] packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet.Length == 0)
        {
            return new Reply(0, null, [], false, false);
        }

        if (packet.Length == 4)
        {
            int code = BinaryPrimitives.ReadInt32LittleEndian(packet);
            return code == TransportErrors.RateLimited
                ? throw new RateLimitedException("an encrypted message (the server limits them as well as handshakes)")
                : new Reply(code, null, [], false, false);
        }

        if (!Session.TryDecrypt(packet, out EnvelopeHeader header, out byte[] data))
        {
            return new Reply(0, null, [], false, false, $"{packet.Length} bytes that do not decrypt under the session's key");
        }

        try
        {
            TlObject body = _codec.Deserialize(data);
            IReadOnlyList<ServerMessage> messages = body.Combinator.Id == ContentRelated.MsgContainer
                ? body.Get<object?[]>("messages").Cast<TlObject>()
                    .Select(m => new ServerMessage(m.Get<long>("msg_id"), m.Get<int>("seqno"), m.Get<TlObject>("body"))).ToList()
                : [new ServerMessage(header.MsgId, header.SeqNo, body)];
            return new Reply(0, header, messages, false, false);
        }
        catch (TlDecodeException e)
        {
            return new Reply(0, header, [], false, false, e.Message);
        }
    }

    /// <summary>Moves the session to a new connection.</summary>
    public async Task ReconnectAsync(CancellationToken cancel)
    {
        await Transport.DisposeAsync().ConfigureAwait(false);
        _pendingReceive = null;
        Transport = await Target.ConnectAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>Moves the session to a new connection to another server: another node of the same cluster.</summary>
    public async Task MoveToAsync(Target other, CancellationToken cancel)
    {
        Target = other;
        await ReconnectAsync(cancel).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Key.Dispose();
        await Transport.DisposeAsync().ConfigureAwait(false);
    }
}
