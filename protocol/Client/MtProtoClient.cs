using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Client;

/// <summary>
/// An MTProto 2.0 client over any <see cref="IPacketTransport"/>: creates an auth key with
/// <see cref="HandshakeClient"/>, then runs one encrypted session with a background receive loop.
/// <list type="bullet">
/// <item><see cref="InvokeAsync"/> calls a function and returns its rpc_result; <see cref="RequestAsync"/> sends a
/// service query (ping, get_future_salts, msgs_state_req) and returns the answer that names it.</item>
/// <item>bad_server_salt and bad_msg_notification 16, 17, 20, 32 and 33 are fixed (salt, clock offset) and the message
/// re-sent under a new header, at most five times; other refusals fail the call with <see cref="BadMessageException"/>.</item>
/// <item>Content-related server messages are acknowledged (msgs_ack, batched); re-sent ones (a msg_id already
/// received) are acknowledged again but not dispatched twice.</item>
/// <item>Server messages that answer nothing (chat updates) arrive on <see cref="Updates"/>; every packet, opened,
/// arrives on <see cref="Packets"/>; <see cref="PacketObserver"/> sees raw bytes both ways.</item>
/// <item>Server packets are checked before use (docs/protocol.md §2–§3, the client rules of docs/client-conformance.md):
/// the envelope (<see cref="ServerEnvelope"/>), session_id, msg_id low bits and time window (300 s back, 30 s ahead
/// of the server's time as the client knows it), a container's inner msg_ids below its own, and on stream transports
/// the outer msg_id increasing per connection (<see cref="ConnectionPacketOrder"/>). A failing packet is dropped
/// silently: not acknowledged, nothing delivered.</item>
/// <item>msg_resend_req: each named request still waiting is re-sent with its own msg_id, seq_no and body inside a
/// fresh container. gzip_packed unpacks to at most 16 MiB.</item>
/// <item>For negative tests: <see cref="Session"/> builds any header and padding, and <see cref="SendRawAsync"/>
/// sends any bytes. For the client conformance suite, <see cref="ClientFaults"/> removes one rule each.</item>
/// <item>Over HTTP a long poll (http_wait) is kept waiting so that pushed messages arrive.</item>
/// </list>
/// Thread-safe.
/// </summary>
public sealed class MtProtoClient : IAsyncDisposable
{
    /// <summary>How long acknowledgements may wait to be sent together.</summary>
    public static readonly TimeSpan AckDelay = TimeSpan.FromMilliseconds(100);

    private const int MaxResends = 5;
    private const int MaxAcksPerMessage = 8192;
    private const int HttpWaitMilliseconds = 25_000;
    private const int MaxUnpackedLength = 16 << 20;

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly ReceivedMsgIds _received = new(4096);
    private readonly List<long> _acks = [];
    private readonly Lock _lock = new();
    private readonly Channel<TlObject> _updates = Channel.CreateBounded<TlObject>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Channel<ReceivedPacket> _packets = Channel.CreateBounded<ReceivedPacket>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly TlCodec _codec;
    private readonly TimeProvider _clock;
    private CancellationTokenSource _connection;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _pollLoop = Task.CompletedTask;
    private bool _ackFlushScheduled;

    private MtProtoClient(IPacketTransport transport, AuthKey authKey, ClientSession session, TlCodec codec, Action<byte[], bool>? observer,
        TimeProvider? clock, ClientFaults faults)
    {
        Transport = transport;
        AuthKey = authKey;
        Session = session;
        _codec = codec;
        _clock = clock ?? TimeProvider.System;
        Faults = faults;
        PacketObserver = observer;
        _connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
    }

    /// <summary>The transport in use (<see cref="ReconnectAsync"/> replaces it).</summary>
    public IPacketTransport Transport { get; private set; }

    /// <summary>The auth key the handshake created (wiped when the client is disposed).</summary>
    public AuthKey AuthKey { get; }

    /// <summary>The session: salt, session_id, msg_id and seq_no sources. Lock-free use is the caller's risk.</summary>
    public ClientSession Session { get; }

    /// <summary>Called with every raw packet: true for sent, false for received.</summary>
    public Action<byte[], bool>? PacketObserver { get; set; }

    /// <summary>Server messages that answer no request: updates pushed by the chat layer, and the like.</summary>
    public ChannelReader<TlObject> Updates => _updates.Reader;

    /// <summary>Every packet received, opened (the latest 10 000 if nobody reads).</summary>
    public ChannelReader<ReceivedPacket> Packets => _packets.Reader;

    /// <summary>The rules this client breaks on purpose (none unless the conformance suite asks).</summary>
    public ClientFaults Faults { get; }

    /// <summary>Whether the client acknowledges content-related server messages (on by default; off for tests of re-sends).</summary>
    public bool SendAcks { get; set; } = true;

    /// <summary>Runs the handshake over <paramref name="transport"/> and starts a session on the new key.</summary>
    /// <param name="transport">A connected transport; the client owns it from now on.</param>
    /// <param name="serverKey">The server's pinned RSA public key.</param>
    /// <param name="options">
    /// Handshake options (data centre, temporary key, overrides for negative tests); their <see cref="HandshakeClientOptions.Faults"/>
    /// apply to the handshake and then to the session.
    /// </param>
    /// <param name="packetObserver">Sees every raw packet, the handshake's included.</param>
    /// <param name="codec">The schema spoken inside the session (default: MTProto plus the chat layer).</param>
    /// <param name="cancel">Cancels the handshake.</param>
    /// <exception cref="HandshakeException">The server's answers failed a check.</exception>
    /// <exception cref="TransportErrorException">The server refused a handshake step.</exception>
    public static async Task<MtProtoClient> ConnectAsync(IPacketTransport transport, RsaPublicKey serverKey,
        HandshakeClientOptions? options = null, Action<byte[], bool>? packetObserver = null, TlCodec? codec = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(serverKey);
        HandshakeClientDone done = await TransportHandshake.RunAsync(transport, serverKey, options, packetObserver, cancel).ConfigureAwait(false);
        var authKey = AuthKey.FromBytes(done.AuthKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(done.AuthKey);
        var session = new ClientSession(authKey, done.ServerSalt, options?.Clock);
        session.MsgIds.ClockOffset = done.ServerTimeOffset;
        var client = new MtProtoClient(transport, authKey, session, codec ?? TlCodec.Testbed, packetObserver, options?.Clock,
            options?.Faults ?? ClientFaults.None);
        client.Start();
        return client;
    }

    /// <summary>
    /// Starts a new session on an auth key created earlier (a client that kept its key across restarts). With no salt
    /// known, the first message is answered with bad_server_salt and re-sent with the right one.
    /// </summary>
    public static MtProtoClient Resume(IPacketTransport transport, ReadOnlySpan<byte> authKey, long salt = 0,
        Action<byte[], bool>? packetObserver = null, TlCodec? codec = null, TimeProvider? clock = null, ClientFaults faults = ClientFaults.None)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var key = AuthKey.FromBytes(authKey);
        var client = new MtProtoClient(transport, key, new ClientSession(key, salt, clock), codec ?? TlCodec.Testbed, packetObserver, clock, faults);
        client.Start();
        return client;
    }

    /// <summary>
    /// Moves the session to a new connection (same key, same session_id, msg_id and seq_no continuing), as a client
    /// does after a network failure. Requests waiting on the old connection fail with <see cref="IOException"/>; the
    /// server re-sends whatever it sent that was not acknowledged.
    /// </summary>
    public async Task ReconnectAsync(IPacketTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        await _connection.CancelAsync().ConfigureAwait(false);
        await Transport.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiveLoop, _pollLoop).ConfigureAwait(false);
        _connection.Dispose();
        _connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        Transport = transport;
        Start();
    }

    /// <summary>Calls a function and returns what its rpc_result carries.</summary>
    /// <exception cref="RpcException">The result is an rpc_error.</exception>
    /// <exception cref="BadMessageException">The server refused the message for good.</exception>
    /// <exception cref="TransportErrorException">The server answered with a transport error.</exception>
    public async Task<TlObject> InvokeAsync(TlObject function, CancellationToken cancel = default)
    {
        TlObject answer = await RequestAsync(function, cancel).ConfigureAwait(false);
        if (answer.Combinator.Name != "rpc_result")
        {
            throw new InvalidDataException($"Expected rpc_result, the server answered with {answer.Combinator.Name}.");
        }

        TlObject result = answer.Get<TlObject>("result");
        return result.Combinator.Name == "rpc_error"
            ? throw new RpcException(result.Get<int>("error_code"), System.Text.Encoding.UTF8.GetString(result.Get<byte[]>("error_message")))
            : result;
    }

    /// <summary>
    /// Sends a message and returns the first server message that answers it (names its msg_id): rpc_result, pong,
    /// future_salts, msgs_state_info, msg_detailed_info.
    /// </summary>
    public async Task<TlObject> RequestAsync(TlObject body, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var request = new PendingRequest(_codec.Serialize(body), ContentRelated.IsContentRelated(body.Combinator.Id));
        using CancellationTokenRegistration registration = cancel.Register(() => request.Answer.TrySetCanceled(cancel));
        await SendPendingAsync(request, cancel).ConfigureAwait(false);
        if (_receiveLoop.IsCompleted)
        {
            // The connection ended before the request was registered: no receive loop is left to fail it.
            request.Answer.TrySetException(new IOException("The connection to the server is closed."));
        }

        try
        {
            return await request.Answer.Task.ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(request.Header.MsgId, out _);
        }
    }

    /// <summary>Sends a message without waiting for anything. Returns its msg_id.</summary>
    public Task<long> SendAsync(TlObject body, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SendAsync(body, ContentRelated.IsContentRelated(body.Combinator.Id), cancel);
    }

    private async Task<long> SendAsync(TlObject body, bool contentRelated, CancellationToken cancel)
    {
        byte[] data = _codec.Serialize(body);
        long msgId = 0;
        await SendLockedAsync(() =>
        {
            (byte[] wire, EnvelopeHeader header) = Session.Encrypt(data, contentRelated);
            msgId = header.MsgId;
            return wire;
        }, cancel).ConfigureAwait(false);
        return msgId;
    }

    /// <summary>Sends bytes exactly as given (any header, any defect); what comes back arrives on <see cref="Packets"/>.</summary>
    public Task SendRawAsync(byte[] wire, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return SendLockedAsync(() => wire, cancel);
    }

    /// <summary>Waits for the next received packet that <paramref name="match"/> accepts.</summary>
    public async Task<ReceivedPacket> WaitForPacketAsync(Func<ReceivedPacket, bool> match, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        while (true)
        {
            ReceivedPacket packet = await _packets.Reader.ReadAsync(cancel).ConfigureAwait(false);
            if (match(packet))
            {
                return packet;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await FlushAcksAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Transport.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiveLoop, _pollLoop).ConfigureAwait(false);
        _updates.Writer.TryComplete();
        _packets.Writer.TryComplete();
        AuthKey.Dispose();
        _connection.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private void Start()
    {
        IPacketTransport transport = Transport;
        CancellationToken connection = _connection.Token;
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(transport, connection), CancellationToken.None);
        _pollLoop = transport.IsRequestResponse ? Task.Run(() => PollLoopAsync(connection), CancellationToken.None) : Task.CompletedTask;
    }

    /// <summary>
    /// Encrypts under a fresh header (a re-send too: never the same header twice) and sends. With
    /// <see cref="ClientFaults.ResendSameHeader"/> a re-send keeps its msg_id and seq_no (only the salt is new).
    /// </summary>
    private Task SendPendingAsync(PendingRequest request, CancellationToken cancel) => SendLockedAsync(() =>
    {
        bool sameHeader = request.Header.MsgId != 0 && Faults.HasFlag(ClientFaults.ResendSameHeader);
        EnvelopeHeader header = sameHeader ? request.Header with { Salt = Session.Salt } : Session.NextHeader(request.ContentRelated);
        byte[] wire = Session.Encrypt(header, request.Data, PaddingPolicy.Default.ChooseLength(request.Data.Length));
        _pending.TryRemove(request.Header.MsgId, out _);
        request.Header = header;
        _pending[header.MsgId] = request;
        return wire;
    }, cancel);

    /// <summary>
    /// Answers msg_resend_req (docs/protocol.md §3.9): the named requests still waiting go again with their own
    /// msg_id, seq_no and body inside a new container (its own fresh msg_id and even seq_no), so no top-level header
    /// is encrypted twice. Ids that are not waiting requests of ours are ignored.
    /// </summary>
    private void ResendRequested(long[] msgIds)
    {
        PendingRequest[] requests = [.. msgIds.Distinct().Select(id => _pending.GetValueOrDefault(id)).OfType<PendingRequest>()];
        if (requests.Length > 0)
        {
            _ = SendInBackgroundAsync(requests, SendLockedAsync(() =>
            {
                byte[] container = MessageContainer.Build([.. requests.Select(r => (r.Header.MsgId, r.Header.SeqNo, r.Data))]);
                return Session.Encrypt(Session.NextHeader(contentRelated: false), container, PaddingPolicy.Default.ChooseLength(container.Length));
            }, _stop.Token));
        }
    }

    /// <summary>
    /// Builds the packet under the send lock (msg_ids leave in the order they are made) and sends it. Over HTTP the
    /// POST itself happens outside the lock, as it lasts until the answer.
    /// </summary>
    private async Task SendLockedAsync(Func<byte[]> build, CancellationToken cancel)
    {
        byte[] wire;
        await _sendLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            wire = build();
            PacketObserver?.Invoke(wire, true);
            if (!Transport.IsRequestResponse)
            {
                await Transport.SendAsync(wire, cancel).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            _sendLock.Release();
        }

        await Transport.SendAsync(wire, cancel).ConfigureAwait(false);
    }

    private async Task PollLoopAsync(CancellationToken connection)
    {
        TlObject wait = new(_codec.Schema["http_wait"], 0, 0, HttpWaitMilliseconds);
        while (!connection.IsCancellationRequested)
        {
            try
            {
                await SendAsync(wait, connection).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or ObjectDisposedException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), connection).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ReceiveLoopAsync(IPacketTransport transport, CancellationToken connection)
    {
        var order = new ConnectionPacketOrder(!transport.IsRequestResponse && !Faults.HasFlag(ClientFaults.AcceptReordered));
        try
        {
            while (await transport.ReceiveAsync(connection).ConfigureAwait(false) is { } packet)
            {
                PacketObserver?.Invoke(packet, false);
                if (packet.Length > 0)
                {
                    _packets.Writer.TryWrite(Open(packet, order));
                }
            }
        }
        catch (InvalidDataException)
        {
            // Broken framing, or a frame announcing more than the packet limit (1 MiB): the transport refused it before
            // allocating, and the connection is closed (docs/protocol.md §6).
            await transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException
            or System.Net.WebSockets.WebSocketException)
        {
            // Closed by either side.
        }

        var closed = new IOException("The connection to the server is closed.");
        foreach (PendingRequest request in _pending.Values)
        {
            request.Answer.TrySetException(closed);
        }
    }

    /// <summary>
    /// Opens a server packet, checks it and dispatches its messages. Never throws: a bad packet is reported (with the
    /// reason it was dropped), not fatal.
    /// </summary>
    private ReceivedPacket Open(byte[] packet, ConnectionPacketOrder order)
    {
        if (packet.Length == 4)
        {
            int code = BinaryPrimitives.ReadInt32LittleEndian(packet);
            var error = new TransportErrorException(code);
            foreach (PendingRequest request in _pending.Values)
            {
                request.Answer.TrySetException(error);
            }

            return new ReceivedPacket(packet, code, null, [], null);
        }

        if (!ServerEnvelope.TryOpen(AuthKey, Faults, packet, out EnvelopeHeader header, out byte[] data))
        {
            return new ReceivedPacket(packet, 0, null, [], "does not decrypt under this session's key");
        }

        if (header.SessionId != Session.SessionId)
        {
            return new ReceivedPacket(packet, 0, header, [], "another session's message");
        }

        if (LowBitsProblem(header.MsgId) is { } lowBitsProblem)
        {
            return new ReceivedPacket(packet, 0, header, [], lowBitsProblem);
        }

        List<ReceivedMessage> messages;
        try
        {
            TlObject body = _codec.Deserialize(data);
            bool container = body.Combinator.Id == ContentRelated.MsgContainer;
            (long MsgId, int SeqNo, TlObject Body)[] entries = container
                ? [.. body.Get<object?[]>("messages").Cast<TlObject>().Select(m => (m.Get<long>("msg_id"), m.Get<int>("seqno"), m.Get<TlObject>("body")))]
                : [(header.MsgId, header.SeqNo, body)];
            if (container && entries.Any(e => e.MsgId >= header.MsgId))
            {
                return new ReceivedPacket(packet, 0, header, [], "a container holding a msg_id not below its own");
            }

            if (!entries.Any(e => CorrectsClock(e.Body)) && WindowProblem(header.MsgId) is { } windowProblem)
            {
                return new ReceivedPacket(packet, 0, header, [], windowProblem);
            }

            if (!order.TryAccept(header.MsgId))
            {
                return new ReceivedPacket(packet, 0, header, [], "its msg_id is not above the previous packet's on this connection");
            }

            // An inner message failing its own msg_id check, or a gzip_packed past the cap, is dropped alone.
            messages = [.. entries.Where(e => LowBitsProblem(e.MsgId) is null && (CorrectsClock(e.Body) || WindowProblem(e.MsgId) is null))
                .Select(e => Receive(e.MsgId, e.SeqNo, e.Body)).OfType<ReceivedMessage>()];
        }
        catch (TlDecodeException e)
        {
            return new ReceivedPacket(packet, 0, header, [], $"does not parse: {e.Message}");
        }

        foreach (ReceivedMessage message in messages.Where(m => !m.Duplicate || Faults.HasFlag(ClientFaults.DeliverDuplicates)))
        {
            Dispatch(message);
        }

        ScheduleAcks();
        return new ReceivedPacket(packet, 0, header, messages, null);
    }

    /// <summary>Why a server msg_id is refused for its low bits (not 1 or 3 mod 4: docs/protocol.md §3.1), or null.</summary>
    private string? LowBitsProblem(long msgId) =>
        Faults.HasFlag(ClientFaults.AcceptEvenMsgId) || MsgId.HasSenderBits(msgId, MsgIdSender.ServerResponse)
            ? null
            : "a msg_id without the server's low bits";

    /// <summary>
    /// Why a server msg_id is refused for its time (docs/protocol.md §3.2), or null: it must lie from 300 s before to
    /// 30 s after the server's time as this client knows it (its clock plus the offset learnt from server_time or
    /// bad_msg_notification).
    /// </summary>
    private string? WindowProblem(long msgId)
    {
        if (Faults.HasFlag(ClientFaults.NoTimeWindow))
        {
            return null;
        }

        // The low bits are judged apart (LowBitsProblem): the window is judged on the id's time alone.
        return MsgIdRules.Validate(msgId | 1, MsgIdSender.ServerResponse, _clock.GetUtcNow() + Session.MsgIds.ClockOffset) switch
        {
            BadMsgCode.MsgIdTooLow => "a msg_id more than 300 s before the server's time",
            BadMsgCode.MsgIdTooHigh => "a msg_id more than 30 s after the server's time",
            _ => null,
        };
    }

    /// <summary>
    /// Whether <paramref name="body"/> is bad_msg_notification 16 or 17 about a request of ours still waiting: the
    /// time window is not applied to it (nor to the packet carrying it), because its msg_id is how a client whose
    /// clock offset went wrong learns the server's time (§3.2); judged against the wrong offset it would never
    /// arrive, and the client could never recover. It must still pass every other check, and an old one cannot name
    /// a waiting request.
    /// </summary>
    private bool CorrectsClock(TlObject body) =>
        body.Combinator.Name == "bad_msg_notification" && body.Get<int>("error_code") is 16 or 17
        && _pending.ContainsKey(body.Get<long>("bad_msg_id"));

    /// <summary>
    /// Records one message: duplicates are spotted, content-related ones queued for acknowledgement. gzip_packed is
    /// unpacked, as the message itself or as an rpc_result's result; one that unpacks past 16 MiB (unless
    /// <see cref="ClientFaults.UnboundedGzip"/>) gives null: dropped unacknowledged.
    /// </summary>
    private ReceivedMessage? Receive(long msgId, int seqNo, TlObject body)
    {
        TlObject? opened = Unpack(body);
        if (opened?.Combinator.Name == "rpc_result")
        {
            opened = Unpack(opened.Get<TlObject>("result")) is { } result ? opened.With("result", result) : null;
        }

        if (opened is null)
        {
            return null;
        }

        bool duplicate;
        lock (_lock)
        {
            duplicate = !_received.Add(msgId);

            if ((seqNo & 1) == 1 && SendAcks)
            {
                _acks.Add(msgId); // a re-sent message is acknowledged again: the first ack may have been lost
            }
        }

        return new ReceivedMessage(msgId, seqNo, opened, duplicate);
    }

    /// <summary>The object a gzip_packed holds (any other object as it is); null when it unpacks past the cap.</summary>
    private TlObject? Unpack(TlObject body)
    {
        if (body.Combinator.Id != ContentRelated.GzipPacked)
        {
            return body;
        }

        int cap = Faults.HasFlag(ClientFaults.UnboundedGzip) ? Array.MaxLength : MaxUnpackedLength;
        return GzipPacked.TryUnpack(body.Get<byte[]>("packed_data"), cap, out byte[] unpacked) ? _codec.Deserialize(unpacked) : null;
    }

    private void Dispatch(ReceivedMessage message)
    {
        TlObject body = message.Body;
        switch (body.Combinator.Name)
        {
            case "rpc_result" or "future_salts" or "msgs_state_info":
                Complete(body.Get<long>("req_msg_id"), body);
                break;
            case "pong" or "msg_detailed_info":
                Complete(body.Get<long>("msg_id"), body);
                break;
            case "new_session_created":
                Session.Salt = body.Get<long>("server_salt");
                break;
            case "bad_server_salt":
                Session.Salt = body.Get<long>("new_server_salt");
                Resend(body.Get<long>("bad_msg_id"), null);
                break;
            case "bad_msg_notification":
                int code = body.Get<int>("error_code");
                if (code is 16 or 17 or 20)
                {
                    // The server's clock is in its msg_id (docs/protocol.md §3.2): correct ours, then re-send. 20 too: a
                    // server refuses ids from before its start, which a client whose clock lags it can still make.
                    Session.MsgIds.ClockOffset = MsgId.ToTime(message.MsgId) - _clock.GetUtcNow();
                }

                if (code == 17)
                {
                    Session.MsgIds.ForgetLast(); // the re-send follows the corrected clock, below the refused ids (§3.1)
                }

                // Time, window and order refusals (16, 17, 20, 32, 33) come from clocks and from messages overtaking each
                // other on the way (HTTP requests run in parallel): a fresh header fixes them. Others are the sender's bug.
                Resend(body.Get<long>("bad_msg_id"), code is 16 or 17 or 20 or 32 or 33 ? null : new BadMessageException(code));
                break;
            case "msg_resend_req":
                ResendRequested(body.Get<long[]>("msg_ids"));
                break;
            case var _ when TlSchema.MTProto.TryGet(body.Combinator.Id, out _):
                break; // a service message (msgs_ack, an answer to nothing, ...) is nothing the user asked for
            default:
                _updates.Writer.TryWrite(body);
                break;
        }
    }

    private void Complete(long msgId, TlObject answer)
    {
        if (_pending.TryRemove(msgId, out PendingRequest? request))
        {
            request.Answer.TrySetResult(answer);
        }
    }

    /// <summary>Re-sends a refused request under a new header, or fails it.</summary>
    private void Resend(long msgId, Exception? failure)
    {
        if (!_pending.TryRemove(msgId, out PendingRequest? request))
        {
            return; // not a request of ours (an ack, a raw packet): nothing to re-send
        }

        if (failure is not null || ++request.Resends > MaxResends)
        {
            request.Answer.TrySetException(failure ?? new BadMessageException($"Refused {MaxResends} times in a row."));
            return;
        }

        _ = SendInBackgroundAsync([request], SendPendingAsync(request, _stop.Token));
    }

    /// <summary>Awaits a re-send nobody waits for; if it cannot go, the requests it carried fail with the reason.</summary>
    private static async Task SendInBackgroundAsync(PendingRequest[] requests, Task sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
            foreach (PendingRequest request in requests)
            {
                request.Answer.TrySetException(e);
            }
        }
    }

    private void ScheduleAcks()
    {
        lock (_lock)
        {
            if (_acks.Count == 0 || _ackFlushScheduled)
            {
                return;
            }

            _ackFlushScheduled = true;
        }

        _ = Task.Delay(AckDelay, _stop.Token).ContinueWith(_ => FlushAcksAsync(), TaskScheduler.Default);
    }

    private async Task FlushAcksAsync()
    {
        long[] ids;
        lock (_lock)
        {
            _ackFlushScheduled = false;
            ids = [.. _acks.Take(MaxAcksPerMessage)];
            _acks.RemoveRange(0, ids.Length);
        }

        if (ids.Length == 0 || _stop.IsCancellationRequested)
        {
            return;
        }

        try
        {
            // msgs_ack is not content-related (even seq_no), unless ClientFaults.AcksContentRelated says otherwise.
            await SendAsync(new TlObject(_codec.Schema["msgs_ack"], ids), Faults.HasFlag(ClientFaults.AcksContentRelated), _stop.Token)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
            // The connection is gone; the server re-sends what was not acknowledged when the client returns.
        }
    }

    /// <summary>
    /// A message waiting for its answer: re-sent under a new header after a refusal, or under its own header (kept
    /// here) inside a container when the server asks with msg_resend_req.
    /// </summary>
    private sealed class PendingRequest(byte[] data, bool contentRelated)
    {
        public byte[] Data { get; } = data;

        public bool ContentRelated { get; } = contentRelated;

        /// <summary>The header it last went under (default before it is sent).</summary>
        public EnvelopeHeader Header { get; set; }

        public int Resends { get; set; }

        public TaskCompletionSource<TlObject> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
