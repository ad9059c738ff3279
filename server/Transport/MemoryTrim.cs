namespace Testbed.Server.Transport;

/// <summary>
/// Gives memory back after a burst. The garbage collector runs when the program allocates, so a server that goes quiet
/// after thousands of connections or stalled frames left keeps their memory as garbage, or as free heap it does not
/// decommit, for as long as it stays quiet (issue 13: RSS stayed at 1.7 GiB after an attack, and at 248 MiB after 5,000
/// sessions left). When the open connections or the buffered bytes have fallen to half their peak, and stayed there
/// for a few seconds, one aggressive collection (compacting, large objects included, free memory decommitted) runs;
/// at most once every 30 s, so a server under steady load never pays for it. Called by the heartbeat only.
/// </summary>
internal sealed class MemoryTrim
{
    private const int ConnectionBurst = 256;
    private const long BufferBurst = 16L << 20;
    private const int QuietTicks = 3;
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(30);

    private int _peakOpen;
    private long _peakBuffered;
    private int _quiet;
    private long _lastTrimAt = long.MinValue / 2;

    /// <summary>Runs the collection when a burst has passed.</summary>
    public void Observe(int open, long buffered)
    {
        _peakOpen = Math.Max(_peakOpen, open);
        _peakBuffered = Math.Max(_peakBuffered, buffered);
        bool burstGone = (_peakOpen >= ConnectionBurst && open <= _peakOpen / 2) || (_peakBuffered >= BufferBurst && buffered <= _peakBuffered / 2);
        _quiet = burstGone ? _quiet + 1 : 0;
        long now = ConnectionDeadlines.Now;
        if (_quiet < QuietTicks || now - _lastTrimAt < (long)MinInterval.TotalMilliseconds)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        (_peakOpen, _peakBuffered, _quiet, _lastTrimAt) = (open, buffered, 0, now);
    }
}
