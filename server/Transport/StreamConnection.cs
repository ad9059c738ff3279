using System.Buffers.Binary;
using System.Threading.Channels;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// A TCP or WebSocket connection as the sessions see it: packets are framed (in the framing the client chose) and
/// queued for the transport's writer loop, at most <see cref="MaxQueuedPackets"/> of them; ping_delay_disconnect arms
/// a timer that closes the connection (and lengthens its idle allowance: see <see cref="ConnectionDeadlines"/>). Thread-safe: sessions push to it from other connections' threads.
/// </summary>
internal sealed class StreamConnection : IClientConnection, IDisposable
{
    /// <summary>Packets waiting for the socket; a client that stops reading is disconnected past this.</summary>
    public const int MaxQueuedPackets = 1024;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private static long s_lastId;

    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(MaxQueuedPackets) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _closed = new();
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private FrameWriter? _writer;
    private Protocol.Crypto.AesCtr? _obfuscation; // an obfuscated connection's encrypting stream
    private ITimer? _disconnectTimer;

    // Dropped when the connection closes: a session keeps its last connection after it has gone, and the admission
    // record holds Kestrel's whole connection (its pipes and features), which 5,000 sessions kept alive for as long
    // as the sessions lived (the soak suite's memory-creep row).
    private ConnectionAdmission.AdmittedConnection? _admitted;

    /// <param name="origin">The transport and peer.</param>
    /// <param name="clock">The protocol clock (ping_delay_disconnect).</param>
    /// <param name="timeouts">The connection's timeouts.</param>
    /// <param name="admitted">Its admission record, told when a key is proven (null only where no admission ran).</param>
    public StreamConnection(PacketOrigin origin, TimeProvider clock, ConnectionTimeouts timeouts, ConnectionAdmission.AdmittedConnection? admitted)
    {
        Origin = origin;
        _clock = clock;
        _admitted = admitted;
        Deadlines = new ConnectionDeadlines(timeouts, ConnectionDeadlines.Now);
    }

    /// <summary>The connection's timeouts, fed by its read loop and judged by the <see cref="ConnectionHeartbeat"/>.</summary>
    public ConnectionDeadlines Deadlines { get; }

    /// <inheritdoc />
    public long Id { get; } = Interlocked.Increment(ref s_lastId);

    /// <inheritdoc />
    public PacketOrigin Origin { get; }

    /// <inheritdoc />
    public bool IsStreaming => true;

    /// <inheritdoc />
    public bool IsOpen => !_closed.IsCancellationRequested;

    /// <summary>Cancelled when the connection is closed, by either side or by the server's own decision.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Why the server closed the connection, if it did.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>The framed packets to write, in order; completes when the connection closes.</summary>
    public ChannelReader<byte[]> Outgoing => _outgoing.Reader;

    /// <summary>
    /// Sets the framing once the first bytes have revealed it; packets before that cannot be framed. On an obfuscated
    /// connection <paramref name="obfuscation"/> encrypts every frame after framing (docs/protocol.md §6.1); the
    /// connection owns it from here and zeroes it when disposed.
    /// </summary>
    public void UseFraming(TransportFraming framing, Protocol.Crypto.AesCtr? obfuscation = null)
    {
        lock (_lock)
        {
            _writer = new FrameWriter(framing);
            _obfuscation = obfuscation;
        }
    }

    /// <inheritdoc />
    public bool Send(byte[] packet)
    {
        lock (_lock)
        {
            // Framed under the lock so that the full framing's sequence numbers follow the queue's order.
            if (_writer is null || !IsOpen)
            {
                return false;
            }

            // Encrypted in place under the lock too: the CTR stream must run in the order the frames are sent.
            byte[] frame = _writer.Frame(packet);
            _obfuscation?.Transform(frame);
            if (_outgoing.Writer.TryWrite(frame))
            {
                return true;
            }
        }

        Close($"more than {MaxQueuedPackets} packets waiting: the client does not read");
        return false;
    }

    /// <inheritdoc />
    public void SendError(int code)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, code);
        Send(payload);
    }

    /// <inheritdoc />
    public void Wake()
    {
        // Nothing waits on a streaming connection: packets are sent as they are sealed.
    }

    /// <inheritdoc />
    public void KeyProven()
    {
        Deadlines.KeyProven();
        Volatile.Read(ref _admitted)?.KeyProven();
    }

    /// <inheritdoc />
    public void SetDisconnectDelay(TimeSpan? delay)
    {
        Deadlines.ClientDelay(delay);
        lock (_lock)
        {
            _disconnectTimer?.Dispose();
            _disconnectTimer = delay is { } after && IsOpen
                ? _clock.CreateTimer(_ => Close("ping_delay_disconnect: no ping within the delay"), null, after, Timeout.InfiniteTimeSpan)
                : null;
        }
    }

    /// <inheritdoc />
    public void RequestHttpWait(TimeSpan maxWait, TimeSpan waitAfter)
    {
        // http_wait means nothing outside HTTP: a streaming connection already delivers at once.
    }

    /// <summary>Closes the connection (idempotent); the first reason given is kept.</summary>
    public void Close(string? reason)
    {
        lock (_lock)
        {
            if (!IsOpen)
            {
                return;
            }

            CloseReason = reason;
            Volatile.Write(ref _admitted, null);
            _disconnectTimer?.Dispose();
            _outgoing.Writer.TryComplete();
            _closed.Cancel();
        }
    }

    /// <summary>
    /// Ends the connection once its read loop has stopped: closes it, lets <paramref name="writer"/> send what was
    /// queued, and calls <paramref name="abort"/> if the client stopped reading. Returns whether the queue drained and
    /// why the server closed the connection (null when the client did).
    /// </summary>
    public async Task<(bool Drained, string? Reason)> FinishAsync(Task writer, Action abort)
    {
        ArgumentNullException.ThrowIfNull(abort);
        string? reason = CloseReason;
        Close(null);
        bool drained = await DrainedAsync(writer).ConfigureAwait(false);
        if (!drained)
        {
            abort(); // do not wait on a client that does not read
        }

        return (drained, reason);
    }

    /// <summary>Waits a little for a writer loop to send what was queued; false if it is stuck on a client that does not read.</summary>
    private static async Task<bool> DrainedAsync(Task writer)
    {
        try
        {
            await writer.WaitAsync(DrainTimeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Close(null);
        lock (_lock)
        {
            _obfuscation?.Dispose(); // Send does nothing once closed, so the stream is no longer used
        }

        _closed.Dispose();
    }
}
