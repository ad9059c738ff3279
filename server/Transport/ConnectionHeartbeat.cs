using System.Collections.Concurrent;

using Testbed.Protocol.Transport;

namespace Testbed.Server.Transport;

/// <summary>
/// Once a second, as Kestrel's own heartbeat does for HTTP: closes the TCP and WebSocket connections whose
/// <see cref="ConnectionDeadlines"/> have passed; every ten seconds, logs in one line how many connections were refused
/// or closed meanwhile (a flood is counted, never logged one by one); and once the server has gone quiet after a
/// burst or growth, runs one compacting collection so the memory goes back to the system (<see cref="MemoryTrim"/>;
/// docs/server.md, "Memory after an attack").
/// </summary>
internal sealed partial class ConnectionHeartbeat(AcceptGate gate, ConnectionAdmission admission, BufferBudget buffers, MemoryTrim trim, ILogger<ConnectionHeartbeat> log)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private const int TicksPerReport = 10;

    private readonly ConcurrentDictionary<StreamConnection, ConnectionDeadlines> _tracked = new();
    private long _timedOut;

    /// <summary>Connections closed by a timeout since start.</summary>
    public long TimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>Watches <paramref name="connection"/>'s deadlines until the returned registration is disposed.</summary>
    public IDisposable Track(StreamConnection connection, ConnectionDeadlines deadlines)
    {
        _tracked[connection] = deadlines;
        return new Untrack(this, connection);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick);
        long reported = 0, refusedBefore = 0, evictedBefore = 0, closedAtAcceptBefore = 0, timedOutBefore = 0;
        while (await WaitAsync(timer, stoppingToken))
        {
            CloseExpired(ConnectionDeadlines.Now);
            if (trim.Observe(admission.Open, buffers.InUse) is ({ } before, { } after))
            {
                Trimmed(log, before >> 20, after >> 20);
            }

            if (++reported % TicksPerReport == 0)
            {
                ((long refused, long evicted), long closedAtAccept, long timedOut) = (admission.Counts, gate.Refused, TimedOut);
                if (refused != refusedBefore || evicted != evictedBefore || closedAtAccept != closedAtAcceptBefore || timedOut != timedOutBefore)
                {
                    Report(log, refused - refusedBefore, evicted - evictedBefore, admission.MaxConnections, admission.MaxPerAddress,
                        closedAtAccept - closedAtAcceptBefore, gate.Sockets, timedOut - timedOutBefore, (int)(Tick * TicksPerReport).TotalSeconds, admission.Open);
                    (refusedBefore, evictedBefore, closedAtAcceptBefore, timedOutBefore) = (refused, evicted, closedAtAccept, timedOut);
                }
            }
        }
    }

    private void CloseExpired(long now)
    {
        foreach ((StreamConnection connection, ConnectionDeadlines deadlines) in _tracked)
        {
            if (deadlines.Expired(now) is { } reason && connection.IsOpen)
            {
                Interlocked.Increment(ref _timedOut);
                connection.Close(reason);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(20, LogLevel.Information,
        "Connections: {Refused} refused and {Evicted} closed to make room at a cap (of {MaxConnections} in all, {MaxPerAddress} per address), {ClosedAtAccept} closed as accepted at the socket budget ({Sockets}), {TimedOut} closed by a timeout, in the last {Seconds} s; {Open} open")]
    private static partial void Report(ILogger log, long refused, long evicted, int maxConnections, int maxPerAddress, long closedAtAccept, int sockets, long timedOut, int seconds, int open);

    [LoggerMessage(21, LogLevel.Information, "Quiet after a burst: memory given back, resident {Before} MiB -> {After} MiB")]
    private static partial void Trimmed(ILogger log, long before, long after);

    private sealed class Untrack(ConnectionHeartbeat heartbeat, StreamConnection connection) : IDisposable
    {
        public void Dispose() => heartbeat._tracked.TryRemove(connection, out _);
    }
}
