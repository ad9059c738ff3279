namespace Testbed.Server;

/// <summary>
/// Which security events are written in full and which are only counted (issue 13, "Bounded logs"). Events are keyed
/// by event name and source address; in each <see cref="Window"/> the first <see cref="FullLinesPerKey"/> of a key are
/// written in full, at once (a test or an operator reading the log right after a refusal finds its line), and the rest
/// are counted and reported as one folded line when the window ends. At most <see cref="MaxSourceKeys"/> keys are
/// tracked per window: events of further keys (a flood from many addresses) share one key per event name, with the
/// source <see cref="Others"/>. So a window writes at most (<see cref="MaxSourceKeys"/> + event names) ×
/// (<see cref="FullLinesPerKey"/> + 1) lines, whatever the flood (docs/server.md, "Bounded security log").
/// Not thread-safe: <see cref="SecurityEventLog"/> holds its lock around it.
/// </summary>
internal sealed class SecurityEventFolder
{
    /// <summary>How long a window lasts: 10 s, so a fold reports a flood while it goes on.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    /// <summary>Events of one key written in full per window: 16, more than a test or a conformance case provokes.</summary>
    public const int FullLinesPerKey = 16;

    /// <summary>Keys (event name, address) tracked per window before further ones fold into <see cref="Others"/>.</summary>
    public const int MaxSourceKeys = 32;

    /// <summary>The source of the key that events past <see cref="MaxSourceKeys"/> share.</summary>
    public const string Others = "(others)";

    private readonly Dictionary<(string Name, string Remote), long> _counts = [];
    private int _sourceKeys;

    /// <summary>The events of one key a window counted without writing them.</summary>
    /// <param name="Name">The event name.</param>
    /// <param name="Remote">The source address, or <see cref="Others"/>.</param>
    /// <param name="Folded">How many were counted and not written.</param>
    public readonly record struct Fold(string Name, string Remote, long Folded);

    /// <summary>When the open window ends; null when no event came since the last one ended.</summary>
    public DateTimeOffset? WindowEnd { get; private set; }

    /// <summary>Counts one event at <paramref name="now"/>, opening a window if none is open.</summary>
    /// <returns>Whether the event is written in full; otherwise it is only counted, for the window's fold.</returns>
    public bool Admit(string name, string remote, DateTimeOffset now)
    {
        WindowEnd ??= now + Window;
        (string, string) key = (name, remote);
        if (!_counts.ContainsKey(key))
        {
            if (_sourceKeys == MaxSourceKeys)
            {
                key = (name, Others);
            }
            else
            {
                _sourceKeys++;
            }
        }

        ref long count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, key, out _);
        return ++count <= FullLinesPerKey;
    }

    /// <summary>Ends the open window if it has ended by <paramref name="now"/>, or in any case when <paramref name="force"/> (shutdown).</summary>
    /// <returns>The window's folds (keys with events past their full lines); empty when no window ended.</returns>
    public List<Fold> CloseWindow(DateTimeOffset now, bool force)
    {
        var folds = new List<Fold>();
        if (WindowEnd is not { } end || (now < end && !force))
        {
            return folds;
        }

        foreach (((string name, string remote), long count) in _counts)
        {
            if (count > FullLinesPerKey)
            {
                folds.Add(new Fold(name, remote, count - FullLinesPerKey));
            }
        }

        _counts.Clear();
        _sourceKeys = 0;
        WindowEnd = null;
        return folds;
    }
}
