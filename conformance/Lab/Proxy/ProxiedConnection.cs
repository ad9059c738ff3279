using System.Security.Cryptography;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>
/// One client connection through the proxy (TCP, or a WebSocket's byte stream): the framing is told from the
/// client's first bytes and passed on; after it, each direction is cut into frames, each frame goes through the
/// rules, and what is forwarded is framed again by the proxy's own writer (so the full framing's sequence numbers
/// and CRCs stay right however packets are dropped, added or reordered — both are unkeyed, so a network attacker
/// can do the same). An obfuscated connection (docs/protocol.md §6.1) is stripped: its keys are in the client's init
/// header, in the clear, so the proxy decrypts each direction, works on (and captures) the plain frames, and encrypts
/// again with streams of its own over the same header, which it forwards unchanged. That a passive relay can do this
/// is why obfuscation is not encryption.
/// </summary>
public sealed class ProxiedConnection : IAsyncDisposable
{
    private readonly ProxyCore _core;
    private readonly Stream _client;
    private readonly Stream _server;
    private readonly SemaphoreSlim[] _writeLocks = [new(1, 1), new(1, 1)];
    private readonly int[] _counts = new int[2];
    private readonly List<Pending>[] _pending = [[], []];
    private readonly CancellationTokenSource _stop = new();
    private FrameWriter[] _writers = [];
    private ObfuscationCiphers? _clientSide; // as the server: decrypts the client's bytes, encrypts the client's
    private ObfuscationCiphers? _serverSide; // as the client: encrypts the server's bytes, decrypts the server's
    private int _disposed;

    internal ProxiedConnection(ProxyCore core, int id, string transport, Stream client, Stream server)
    {
        _core = core;
        Id = id;
        Transport = transport;
        _client = client;
        _server = server;
    }

    /// <summary>The connection's number in the capture.</summary>
    public int Id { get; }

    /// <summary>"tcp" or "websocket".</summary>
    public string Transport { get; }

    /// <summary>The framing, once the client's first bytes told it.</summary>
    public TransportFraming? Framing { get; private set; }

    /// <summary>Whether the client obfuscated the connection (and the proxy stripped it).</summary>
    public bool Obfuscated { get; private set; }

    /// <summary>Completes when either side closes.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    internal void Start() => Completion = RunAsync();

    /// <summary>Sends a packet the client never sent (or sent before) to the server, or one to the client: a replay.</summary>
    public async Task InjectAsync(PacketDirection direction, byte[] payload, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        await WriteAsync(direction, payload, "injected", 0, cancel);
    }

    private async Task RunAsync()
    {
        try
        {
            byte[] start = await ReadStartAsync();
            int markerLength = Obfuscated ? ObfuscatedInit.Length : StartPlain(start);
            _writers = [new FrameWriter(Framing!.Value), new FrameWriter(Framing.Value)];
            _core.Capture.Add(Id, "open", detail: Obfuscated
                ? $"{Transport} obfuscated {Framing}: stripped with the keys in its init header (obfuscation is not encryption)"
                : $"{Transport} {Framing}");
            await _server.WriteAsync(start.AsMemory(0, markerLength), _stop.Token);
            Task up = PumpAsync(_client, PacketDirection.ClientToServer, start[markerLength..]);
            Task down = PumpAsync(_server, PacketDirection.ServerToClient, []);
            await Task.WhenAny(up, down);
            _core.Capture.Add(Id, "close", detail: up.IsCompleted ? "closed by the client" : "closed by the server");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
        {
            _core.Capture.Add(Id, "close", detail: e.Message);
        }
        finally
        {
            await _stop.CancelAsync();
            await _client.DisposeAsync();
            await _server.DisposeAsync();
            _clientSide?.Dispose();
            _serverSide?.Dispose();
        }
    }

    /// <summary>The plain framing from the first bytes; returns its marker's length.</summary>
    private int StartPlain(byte[] start)
    {
        Framing = FramingDetector.Detect(start, out int markerLength) ?? throw new InvalidDataException("the stream ended before its framing was known");
        return markerLength;
    }

    /// <summary>Opens the init as the server would, and seals the same init again as the client, for the leg to the server.</summary>
    private void StartObfuscated(byte[] header)
    {
        byte[] init = new byte[ObfuscatedInit.Length];
        _clientSide = ObfuscatedInit.Open(header, init);
        Framing = ObfuscatedInit.FramingOf(ObfuscatedInit.TagOf(init))
            ?? throw new InvalidDataException($"an obfuscated init with an unknown tag {Convert.ToHexString(ObfuscatedInit.TagOf(init))}");
        _serverSide = ObfuscatedInit.Seal(init, new byte[ObfuscatedInit.Length]); // the same header: the server derives the same streams
        CryptographicOperations.ZeroMemory(init);
        Obfuscated = true;
    }

    /// <summary>
    /// Reads the client's first bytes, never past its first frame: until <see cref="FramingDetector.IsObfuscated"/>
    /// decides (one byte for abridged, four for a marker, eight otherwise; a full frame is at least 16), then the rest
    /// of an obfuscated init.
    /// </summary>
    private async Task<byte[]> ReadStartAsync()
    {
        byte[] buffer = new byte[ObfuscatedInit.Length];
        int read = 0, wanted = 1;
        while (read < wanted)
        {
            int n = await _client.ReadAsync(buffer.AsMemory(read, wanted - read), _stop.Token);
            if (n == 0)
            {
                throw new InvalidDataException("the client closed before its framing was known");
            }

            read += n;
            bool? obfuscated = FramingDetector.IsObfuscated(buffer.AsSpan(0, read));
            wanted = obfuscated switch
            {
                null => read + 1,
                true => ObfuscatedInit.Length,
                false => read,
            };
        }

        if (read == ObfuscatedInit.Length && FramingDetector.IsObfuscated(buffer) == true)
        {
            StartObfuscated(buffer);
        }

        return buffer[..read];
    }

    private async Task PumpAsync(Stream from, PacketDirection direction, byte[] already)
    {
        var reader = new FrameReader(Framing!.Value);
        var buffer = new FrameBuffer(FrameReader.DefaultMaxPayloadLength + 64);
        byte[] chunk = new byte[64 * 1024];
        buffer.Append(already);
        while (true)
        {
            while (buffer.TakeFrame(reader) is { } payload)
            {
                await OnPacketAsync(direction, payload);
            }

            int n = await from.ReadAsync(chunk, _stop.Token);
            if (n == 0)
            {
                return;
            }

            Span<byte> received = chunk.AsSpan(0, n);
            (direction == PacketDirection.ClientToServer ? _clientSide : _serverSide)?.Receive.Transform(received);
            if (!buffer.Append(received))
            {
                return;
            }
        }
    }

    private async Task OnPacketAsync(PacketDirection direction, byte[] payload)
    {
        int index = ++_counts[(int)direction];
        bool forward = true, duplicate = false;
        Pending? replay = null;
        foreach (ProxyRule rule in _core.Rules.Where(r => r.Matches(direction, index)))
        {
            switch (rule.Action)
            {
                case RuleAction.AppendBlock:
                    payload = [.. payload, .. RandomNumberGenerator.GetBytes(16)];
                    _core.Capture.Add(Id, "modified", direction, index, "a random 16-byte block appended", payload);
                    break;
                case RuleAction.Drop:
                    forward = false;
                    _core.Capture.Add(Id, "dropped", direction, index, null, payload);
                    break;
                case RuleAction.Delay:
                    forward = false;
                    _core.Capture.Add(Id, "delayed", direction, index, $"{rule.Argument} ms", payload);
                    _ = ReleaseLaterAsync(direction, payload, index, TimeSpan.FromMilliseconds(rule.Argument));
                    break;
                case RuleAction.Hold:
                    forward = false;
                    _core.Capture.Add(Id, "held", direction, index, $"until {rule.Argument} more packets passed", payload);
                    lock (_pending)
                    {
                        _pending[(int)direction].Add(new Pending(payload, index, rule.Argument, "released"));
                    }

                    break;
                case RuleAction.ReplayAfter:
                    replay = new Pending(payload, index, rule.Argument, "replayed"); // counted from the next packet on
                    break;
                case RuleAction.Duplicate:
                    duplicate = true;
                    break;
            }
        }

        if (!forward)
        {
            return;
        }

        await WriteAsync(direction, payload, "forwarded", index, _stop.Token);
        if (duplicate)
        {
            await WriteAsync(direction, payload, "duplicated", index, _stop.Token);
        }

        foreach (Pending due in TakeDue(direction))
        {
            await WriteAsync(direction, due.Payload, due.Event, due.Index, _stop.Token);
        }

        if (replay is not null)
        {
            lock (_pending)
            {
                _pending[(int)direction].Add(replay);
            }
        }
    }

    private List<Pending> TakeDue(PacketDirection direction)
    {
        lock (_pending)
        {
            List<Pending> list = _pending[(int)direction];
            for (int i = 0; i < list.Count; i++)
            {
                list[i] = list[i] with { Remaining = list[i].Remaining - 1 };
            }

            List<Pending> due = [.. list.Where(p => p.Remaining <= 0)];
            list.RemoveAll(p => p.Remaining <= 0);
            return due;
        }
    }

    private async Task ReleaseLaterAsync(PacketDirection direction, byte[] payload, int index, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token);
            await WriteAsync(direction, payload, "released", index, _stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection closed while the packet waited: it is lost, as on a real network.
        }
    }

    private async Task WriteAsync(PacketDirection direction, byte[] payload, string @event, int index, CancellationToken cancel)
    {
        SemaphoreSlim writeLock = _writeLocks[(int)direction];
        await writeLock.WaitAsync(cancel);
        try
        {
            if (_writers.Length == 0)
            {
                throw new InvalidOperationException("The connection's framing is not known yet.");
            }

            // Recorded as it leaves: the answer it provokes can come back before a write returns.
            byte[] frame = _writers[(int)direction].Frame(payload);
            (direction == PacketDirection.ClientToServer ? _serverSide : _clientSide)?.Send.Transform(frame); // under the lock: in stream order
            _core.Capture.Add(Id, @event, direction, index, null, payload);
            await (direction == PacketDirection.ClientToServer ? _server : _client).WriteAsync(frame, cancel);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Cuts both sides (an experiment may do this to a live connection); safe to call more than once.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await Completion;
        _stop.Dispose();
    }

    private sealed record Pending(byte[] Payload, int Index, int Remaining, string Event);
}
