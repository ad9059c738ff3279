namespace Testbed.Server.Transport;

/// <summary>
/// One POST /api request as the sessions see it: it collects the answer while it is being processed, and, when the
/// client sent http_wait, stays open until its session has something to send or the wait runs out
/// (docs/protocol.md §6). Every request of a session shares one connection id, so moving between HTTP requests is
/// not a reconnection. Thread-safe.
/// </summary>
internal sealed class HttpExchange(PacketOrigin origin) : IClientConnection
{
    /// <summary>The id every HTTP request shares (stream connections count up from 1).</summary>
    public const long HttpConnectionId = 0;

    private readonly Lock _lock = new();
    private readonly List<byte[]> _packets = [];
    private readonly TaskCompletionSource _woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _answered;

    /// <inheritdoc />
    public long Id => HttpConnectionId;

    /// <inheritdoc />
    public PacketOrigin Origin { get; } = origin;

    /// <inheritdoc />
    public bool IsStreaming => false;

    /// <inheritdoc />
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return !_answered;
            }
        }
    }

    /// <summary>The session the request's message belonged to, once it was admitted (to collect what http_wait waits for).</summary>
    public Sessions.ServerSession? Session { get; set; }

    /// <summary>The transport error to answer with, or 0.</summary>
    public int Error { get; private set; }

    /// <summary>http_wait's limits, when the client asked to wait.</summary>
    public (TimeSpan MaxWait, TimeSpan WaitAfter)? Wait { get; private set; }

    /// <summary>Completes when the session has something to send.</summary>
    public Task Woken => _woken.Task;

    /// <summary>The packets collected so far.</summary>
    public int PacketCount
    {
        get
        {
            lock (_lock)
            {
                return _packets.Count;
            }
        }
    }

    /// <inheritdoc />
    public bool Send(byte[] packet)
    {
        lock (_lock)
        {
            if (_answered)
            {
                return false;
            }

            _packets.Add(packet);
            return true;
        }
    }

    /// <inheritdoc />
    public void SendError(int code) => Error = code;

    /// <inheritdoc />
    public void Wake() => _woken.TrySetResult();

    /// <inheritdoc />
    public void KeyProven()
    {
        // Kestrel times HTTP connections out itself; a request has no idle allowance to earn.
    }

    /// <inheritdoc />
    public void SetDisconnectDelay(TimeSpan? delay)
    {
        // An HTTP request has no connection to keep or close: ping_delay_disconnect is answered with pong only.
    }

    /// <inheritdoc />
    public void RequestHttpWait(TimeSpan maxWait, TimeSpan waitAfter) => Wait = (maxWait, waitAfter);

    /// <summary>Closes the exchange and returns the answer: the first packet collected, or null.</summary>
    /// <remarks>
    /// An HTTP answer holds one packet. Only the resends-reuse-header fault makes more than one; the others stay
    /// unacknowledged in the session's outbox and go out again with a later answer.
    /// </remarks>
    public byte[]? Finish()
    {
        lock (_lock)
        {
            _answered = true;
            return _packets.Count > 0 ? _packets[0] : null;
        }
    }
}
