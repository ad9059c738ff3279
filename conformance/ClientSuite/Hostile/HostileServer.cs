using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// The hostile server of one client case (docs/client-conformance.md): a loopback listener on a free port that takes
/// MTProto over TCP and over WebSocket (/apiws) in any framing, makes auth keys with the reference handshake (bent at
/// the case's one point), opens every encrypted packet the client sends with the key it holds and logs it, and answers
/// as a correct server unless the case's <see cref="HostileScript"/> says otherwise. Starts in about a millisecond.
/// </summary>
internal sealed class HostileServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly HostileScript _script;
    private readonly HostileHandshake _handshake;
    private readonly ConcurrentDictionary<long, (AuthKey Key, long Salt)> _keys = new();
    private readonly ConcurrentDictionary<(long KeyId, long SessionId), HostileSession> _sessions = new();
    private readonly ConcurrentBag<HostileConnection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly MsgIdGenerator _handshakeMsgIds = new();
    private readonly TaskCompletionSource<HostileSession> _firstSession = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostileServer(RsaKeyPair key, HostileScript script)
    {
        _script = script;
        _handshake = new HostileHandshake(key, script.Handshake);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The port, for TCP and for ws://127.0.0.1:PORT/apiws alike.</summary>
    public int Port { get; }

    /// <summary>What the client did.</summary>
    public WireLog Log { get; } = new();

    /// <summary>The client's first encrypted session, once its first message arrived.</summary>
    public Task<HostileSession> FirstSession => _firstSession.Task;

    public static HostileServer Start(RsaKeyPair key, HostileScript script) => new(key, script);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (HostileConnection connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await _acceptLoop;
        foreach ((AuthKey key, _) in _keys.Values)
        {
            key.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var loops = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket = await _listener.AcceptAsync(_stop.Token);
                loops.Add(ServeAsync(socket));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopped
        }

        await Task.WhenAll(loops);
    }

    private async Task ServeAsync(Socket socket)
    {
        HostileConnection? connection = null;
        try
        {
            (ByteChannel channel, byte[] start) = await ByteChannel.AcceptAsync(socket, _stop.Token);
            int number = Log.AddConnection(channel.Transport);
            connection = new HostileConnection(number, new FramedChannel(channel, start));
            _connections.Add(connection);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, connection.Closed);
            while (await connection.Channel.ReceiveAsync(both.Token) is { } packet)
            {
                Log.SetConnectionName(number, connection.Channel.Name);
                await HandleAsync(connection, packet);
            }

            if (!both.IsCancellationRequested)
            {
                Log.AddEnded(number);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException
            or System.Net.WebSockets.WebSocketException)
        {
            // the client left, the case ended, or the case dropped the connection
        }
        catch (Exception e) when (e is TlDecodeException or InvalidOperationException or FormatException or ArgumentException)
        {
            Log.Note($"connection {connection?.Number}: the server gave up on a packet it could not read ({e.Message})");
        }
    }

    private async Task HandleAsync(HostileConnection connection, byte[] packet)
    {
        if (UnencryptedMessage.IsUnencrypted(packet))
        {
            await HandshakeAsync(connection, packet);
            return;
        }

        if (packet.Length < MessageEnvelope.MinEncryptedLength || !_keys.TryGetValue(BinaryPrimitives.ReadInt64LittleEndian(packet), out var known))
        {
            Log.CountUnopened();
            await connection.SendAsync(TransportError(-404));
            return;
        }

        byte[] plaintext = new byte[packet.Length];
        if (!MessageEnvelope.TryDecrypt(known.Key, MessageDirection.ClientToServer, packet, plaintext, out DecryptedEnvelope envelope))
        {
            Log.CountUnopened();
            return;
        }

        EnvelopeHeader header = envelope.Header;
        byte[] data = envelope.MessageData(plaintext).ToArray();
        var opened = new ClientPacket(connection.Number, header, plaintext[..envelope.PlaintextLength],
            ClientMessages.Read(header.MsgId, header.SeqNo, data), DateTimeOffset.UtcNow);
        Log.AddPacket(opened);

        bool created = false;
        HostileSession session = _sessions.GetOrAdd((known.Key.Id, header.SessionId), _ =>
        {
            created = true;
            return new HostileSession(known.Key, known.Salt, header.SessionId, _script.ClockOffset, Log);
        });
        session.Connection = connection;
        if (created)
        {
            await session.SendAsync(Responder.NewSessionCreated(header.MsgId, session.Salt));
            _firstSession.TrySetResult(session);
        }

        foreach (ClientMessage message in opened.Messages)
        {
            if (_script.OnMessage is null || !await _script.OnMessage(message, session))
            {
                await Responder.AnswerAsync(message, session);
            }
        }
    }

    private async Task HandshakeAsync(HostileConnection connection, byte[] packet)
    {
        if (!UnencryptedMessage.TryRead(packet, out _, out int length))
        {
            await connection.SendAsync(TransportError(-404));
            return;
        }

        ReadOnlySpan<byte> query = packet.AsSpan(UnencryptedMessage.HeaderSize, length);
        Log.AddHandshakeQuery(connection.Number, HostileHandshake.QueryName(query));
        (byte[]? answer, int error, HandshakeCompleted? completed) = _handshake.Handle(query);
        if (completed is not null)
        {
            var key = AuthKey.FromBytes(completed.AuthKey);
            _keys[key.Id] = (key, completed.ServerSalt);
            Log.AddKey(connection.Number, key.Id, completed.AuthKey[0] == 0);
        }

        await connection.SendAsync(answer is null ? TransportError(error)
            : UnencryptedMessage.Build(_handshakeMsgIds.Next(MsgIdSender.ServerResponse), answer));
    }

    private static byte[] TransportError(int code)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, code);
        return bytes;
    }
}
