using System.Collections.Concurrent;
using System.Diagnostics;

namespace Testbed.Soak;

/// <summary>
/// The attacking connections of one attack and how long each stayed open: from the moment it connected until the
/// server closed it (a read returns end-of-stream or fails). A connection the server never closes counts with the time
/// it was held. Disposing closes whatever is still open.
/// </summary>
internal sealed class ConnectionLedger : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentBag<Entry> _entries = [];
    private long _lastOpenedTicks;
    private TimeSpan? _releasedAt;

    /// <summary>Connections recorded.</summary>
    public int Count => _entries.Count;

    /// <summary>Connections the server has not closed yet.</summary>
    public int StillOpen => _entries.Count(e => e.ClosedAt is null);

    /// <summary>The longest any connection stayed open; one the server never closed counts until it was released.</summary>
    public TimeSpan LongestOpen => _entries.IsEmpty ? TimeSpan.Zero : _entries.Max(e => (e.ClosedAt ?? _releasedAt ?? _clock.Elapsed) - e.OpenedAt);

    /// <summary>
    /// Records <paramref name="connection"/>, opened now; <paramref name="untilClosed"/> completes (or fails) when the
    /// server has closed it.
    /// </summary>
    public void Track(IDisposable connection, Func<Task> untilClosed)
    {
        var entry = new Entry(connection, _clock.Elapsed);
        Interlocked.Exchange(ref _lastOpenedTicks, entry.OpenedAt.Ticks);
        _entries.Add(entry);
        _ = WatchAsync(entry, untilClosed);
    }

    /// <summary>
    /// Waits until the server has closed every connection, or <paramref name="limit"/> has passed since the last one
    /// opened (and one second more, so that a close right at the limit is seen), or <paramref name="cancel"/>.
    /// </summary>
    public async Task WaitForClosesAsync(TimeSpan limit, CancellationToken cancel)
    {
        while (StillOpen > 0 && _clock.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref _lastOpenedTicks)) < limit + TimeSpan.FromSeconds(1)
            && !cancel.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancel).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task WatchAsync(Entry entry, Func<Task> untilClosed)
    {
        try
        {
            await untilClosed();
        }
#pragma warning disable CA1031 // A reset is a close too.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        if (_releasedAt is null)
        {
            entry.ClosedAt ??= _clock.Elapsed;
        }
    }

    /// <summary>Releases every connection: those still open count as open until now, not as closed by the server.</summary>
    public void Dispose()
    {
        _releasedAt ??= _clock.Elapsed;
        foreach (Entry entry in _entries)
        {
            entry.Connection.Dispose();
        }
    }

    private sealed class Entry(IDisposable connection, TimeSpan openedAt)
    {
        public IDisposable Connection { get; } = connection;

        public TimeSpan OpenedAt { get; } = openedAt;

        public TimeSpan? ClosedAt { get; set; }
    }
}
