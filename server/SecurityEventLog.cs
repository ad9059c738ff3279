using System.Buffers;

namespace Testbed.Server;

/// <summary>
/// The structured security-event log: one JSON object per line in <c>security-events.jsonl</c> in the data directory,
/// flushed per event so the replay lab and experiments can follow it live. Events carry ids (auth_key_id, msg_id,
/// session), transports and addresses — never key material. Thread-safe.
/// <para>
/// Bounded, because a flood of bad packets is an event per packet (issue 13: 4.7 GB an hour from one client): the
/// <see cref="SecurityEventFolder"/> writes the first events of each kind and source of a 10 s window in full and
/// counts the rest into one folded line written by a timer when the window ends (and on <see cref="Dispose"/>, so a
/// shutdown loses no count); lines are at most <see cref="SecurityEventLine.MaxLineBytes"/>; the file is rotated by
/// size (<see cref="RotatingLogFile"/>). Callers log their stdout line only for events written in full, so stdout
/// folds the same way: a fold is one Information line. docs/server.md, "Bounded security log", states the worst case.
/// </para>
/// </summary>
public sealed class SecurityEventLog : IDisposable
{
    /// <summary>The file name inside the data directory.</summary>
    public const string FileName = "security-events.jsonl";

    private readonly RotatingLogFile _file;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ITimer _windowTimer;
    private readonly SecurityEventFolder _folder = new();
    private readonly ArrayBufferWriter<byte> _line = new(SecurityEventLine.MaxLineBytes);
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Opens (appending to) the log in <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">Where <see cref="FileName"/> and its rotated files live.</param>
    /// <param name="clock">The server's clock: event times and the fold windows (a fake one in tests).</param>
    /// <param name="log">Where a fold's Information line goes.</param>
    /// <param name="maxBytes">The size a file is rotated at (<see cref="ServerSettings.SecurityLogMaxBytes"/>).</param>
    /// <param name="files">Files kept, the current one included (<see cref="ServerSettings.SecurityLogFiles"/>).</param>
    public SecurityEventLog(string dataDirectory, TimeProvider clock, ILogger log, long maxBytes, int files)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, SecurityEventLine.MaxLineBytes);
        _clock = clock;
        _log = log;
        _file = new RotatingLogFile(Path.Combine(dataDirectory, FileName), maxBytes, files);
        _windowTimer = clock.CreateTimer(_ => OnWindowTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Reports one event, <c>{"time": …, "event": <paramref name="name"/>, "transport": …, "remote": …, …fields}</c>:
    /// writes it at once, or only counts it for its window's fold when its kind and source have had their full lines.
    /// </summary>
    /// <returns>Whether it was written in full: the caller's stdout line for it is logged only then.</returns>
    public bool Write(string name, PacketOrigin origin, params ReadOnlySpan<(string Name, object? Value)> fields)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false; // a connection closing during shutdown, after the last fold
            }

            DateTimeOffset now = _clock.GetUtcNow();
            CloseEndedWindow(now, force: false);
            bool opens = _folder.WindowEnd is null;
            bool inFull = _folder.Admit(name, origin.AddressText, now);
            if (opens)
            {
                _windowTimer.Change(SecurityEventFolder.Window, Timeout.InfiniteTimeSpan);
            }

            if (!inFull)
            {
                return false;
            }

            SecurityEventLine.Event(_line, now, name, origin, fields);
            _file.Append(_line.WrittenSpan);
            return true;
        }
    }

    /// <summary>Writes the open window's folds, then closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            CloseEndedWindow(_clock.GetUtcNow(), force: true);
            _windowTimer.Dispose();
            _file.Dispose();
        }
    }

    private void OnWindowTimer()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            DateTimeOffset now = _clock.GetUtcNow();
            CloseEndedWindow(now, force: false);
            if (_folder.WindowEnd is { } end)
            {
                _windowTimer.Change(end - now, Timeout.InfiniteTimeSpan); // the timer ran ahead of the clock
            }
        }
    }

    private void CloseEndedWindow(DateTimeOffset now, bool force)
    {
        foreach (SecurityEventFolder.Fold fold in _folder.CloseWindow(now, force))
        {
            SecurityEventLine.Fold(_line, now, fold);
            _file.Append(_line.WrittenSpan);
            ServerLog.EventsFolded(_log, fold.Name, fold.Folded, fold.Remote, (int)SecurityEventFolder.Window.TotalSeconds);
        }
    }
}
