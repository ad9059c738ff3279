namespace Testbed.Server.Transport;

/// <summary>
/// Where one TCP or WebSocket connection stands against its <see cref="ConnectionTimeouts"/>: its read loop reports
/// bytes and packets, and the <see cref="ConnectionHeartbeat"/> asks once a second whether a deadline has passed. Times
/// are on the monotonic clock (milliseconds): timeouts guard real resources, so the lab's movable protocol clock must
/// not close connections when it jumps. Thread-safe (the read loop and the heartbeat).
/// </summary>
internal sealed class ConnectionDeadlines(ConnectionTimeouts timeouts, long acceptedAt)
{
    private readonly Lock _lock = new();
    private long _lastPacketAt = acceptedAt;
    private bool _anyPacket;
    private bool _keyProven;
    private TimeSpan _clientDelay;
    private long _windowStart = -1; // -1: no incomplete frame
    private long _windowBytes;

    /// <summary>Now on the clock these deadlines use.</summary>
    public static long Now => Environment.TickCount64;

    /// <summary>A complete packet arrived: the idle (or handshake step) deadline starts again.</summary>
    public void PacketReceived(long now)
    {
        lock (_lock)
        {
            _lastPacketAt = now;
            _anyPacket = true;
        }
    }

    /// <summary>Bytes arrived; <paramref name="midFrame"/>: a frame is incomplete after them, so its data rate is judged.</summary>
    public void BytesReceived(int count, bool midFrame, long now)
    {
        lock (_lock)
        {
            if (!midFrame)
            {
                _windowStart = -1;
                return;
            }

            if (_windowStart < 0)
            {
                (_windowStart, _windowBytes) = (now, 0);
            }

            _windowBytes += count;
        }
    }

    /// <summary>A message decrypted under a known key on this connection: it earns the longer idle allowance.</summary>
    public void KeyProven()
    {
        lock (_lock)
        {
            _keyProven = true;
        }
    }

    /// <summary>ping_delay_disconnect: the client says it will ping within <paramref name="delay"/>; null cancels.</summary>
    public void ClientDelay(TimeSpan? delay)
    {
        lock (_lock)
        {
            _clientDelay = delay is { } asked ? TimeSpan.FromTicks(Math.Min(asked.Ticks, ConnectionTimeouts.MaxClientDelay.Ticks)) : TimeSpan.Zero;
        }
    }

    /// <summary>Why the connection must be closed at <paramref name="now"/>, or null while every deadline holds.</summary>
    public string? Expired(long now)
    {
        lock (_lock)
        {
            TimeSpan allowance = _keyProven ? (_clientDelay > timeouts.Idle ? _clientDelay : timeouts.Idle) : timeouts.HandshakeStep;
            if (now - _lastPacketAt > (long)allowance.TotalMilliseconds)
            {
                return !_anyPacket ? $"timeout: no complete packet within {allowance.TotalSeconds:0} s of connecting"
                    : _keyProven ? $"timeout: idle for {allowance.TotalSeconds:0} s"
                    : $"timeout: no handshake step within {allowance.TotalSeconds:0} s";
            }

            return RateExpired(now);
        }
    }

    private string? RateExpired(long now)
    {
        long window = (long)ConnectionTimeouts.RateWindow.TotalMilliseconds;
        if (_windowStart < 0 || now - _windowStart < window)
        {
            return null;
        }

        long rate = _windowBytes * 1000 / (now - _windowStart);
        if (rate < timeouts.MinFrameBytesPerSecond)
        {
            return $"timeout: a frame arriving at {rate} bytes/s, below the minimum of {timeouts.MinFrameBytesPerSecond}";
        }

        (_windowStart, _windowBytes) = (now, 0);
        return null;
    }
}
