using System.Runtime.InteropServices;

namespace Testbed.Server.Transport;

/// <summary>
/// Gives memory back once the server goes quiet. The garbage collector runs when the program allocates, so a server
/// that goes quiet after an attack or a burst of clients keeps their memory, as garbage or as free heap it does not
/// decommit, for as long as it stays quiet (issue 13: RSS stayed at 1.7 GiB after an attack, and at 248 MiB after 5,000
/// sessions left). Once the server has allocated almost nothing for <see cref="QuietTicks"/> heartbeats, and since the
/// last trim either what it held was let go (open connections or buffered frame bytes fell to half their peak) or
/// its resident memory grew by <see cref="Growth"/>, one aggressive collection runs (compacting, large objects
/// included, free memory decommitted, the shared array pool trimmed), with the database's idle connections closed
/// before and glibc's <c>malloc_trim</c> after (native memory freed by OpenSSL's big numbers and SQLite stays in
/// malloc's arenas otherwise). Growth triggers it at most once every 30 s; a trim that gave back <see cref="Growth"/> or
/// more is followed by another 5 s later; never while the server is busy: a busy server allocates, and its collector
/// runs anyway. Called by the heartbeat only, once a second.
/// </summary>
/// <param name="releaseCaches">What else lets go of memory kept for a busy moment (the database's idle connections).</param>
internal sealed class MemoryTrim(Action releaseCaches)
{
    /// <summary>Growth of the resident memory since the last trim that makes one worth running.</summary>
    public const long Growth = 32L << 20;

    /// <summary>What a quiet second allocates at most (the heartbeat's own work and a few requests fit well below).</summary>
    public const long QuietAllocationPerTick = 1L << 20;

    /// <summary>Quiet heartbeats in a row before the trim.</summary>
    public const int QuietTicks = 3;

    private const int ConnectionBurst = 256;
    private const long BufferBurst = 16L << 20;
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FollowUpAfter = TimeSpan.FromSeconds(5);

    private long _residentAfterTrim = Environment.WorkingSet;
    private long _allocatedBefore = GC.GetTotalAllocatedBytes();
    private int _peakOpen;
    private long _peakBuffered;
    private int _quiet;
    private long _lastTrimAt = long.MinValue / 2;
    private long _followUpAt;

    /// <summary>
    /// Runs the collection when the server has gone quiet after letting go of a burst or growing; returns the resident
    /// bytes before and after, if it ran.
    /// </summary>
    /// <param name="open">Connections open now.</param>
    /// <param name="buffered">Bytes held in incomplete frames now.</param>
    public (long Before, long After)? Observe(int open, long buffered)
    {
        (_peakOpen, _peakBuffered) = (Math.Max(_peakOpen, open), Math.Max(_peakBuffered, buffered));
        long allocated = GC.GetTotalAllocatedBytes();
        _quiet = allocated - _allocatedBefore < QuietAllocationPerTick ? _quiet + 1 : 0;
        _allocatedBefore = allocated;
        long now = ConnectionDeadlines.Now;
        bool letGo = (_peakOpen >= ConnectionBurst && open <= _peakOpen / 2) || (_peakBuffered >= BufferBurst && buffered <= _peakBuffered / 2);
        // A burst let go is when memory can come back, and it is rare: the peaks start again from what is open after each
        // trim. Growth alone waits out the interval: a trim during a stall (nothing to give back yet) must not hold off
        // the one after the stall ends (the soak suite's stalled-frames row stayed at 146 MiB of an 89 MiB baseline).
        // A trim that gave back a lot may have come while part of the burst was still being let go (connections close
        // over seconds on a loaded machine): another follows after a few quiet seconds, as long as each gives back as
        // much (the soak suite's stalled-frames row once stayed at 167 MiB of a 91 MiB baseline after one trim).
        bool followUp = _followUpAt != 0 && now >= _followUpAt;
        bool due = letGo || followUp
            || (now - _lastTrimAt >= (long)MinInterval.TotalMilliseconds && Environment.WorkingSet - _residentAfterTrim >= Growth);
        if (_quiet < QuietTicks || !due)
        {
            return null;
        }

        long before = Environment.WorkingSet;
        releaseCaches();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        (_residentAfterTrim, _allocatedBefore, _peakOpen, _peakBuffered, _quiet, _lastTrimAt) =
            (Environment.WorkingSet, GC.GetTotalAllocatedBytes(), open, buffered, 0, now);
        _followUpAt = before - _residentAfterTrim >= Growth ? now + (long)FollowUpAfter.TotalMilliseconds : 0;
        return (before, _residentAfterTrim);
    }
}

/// <summary>glibc's malloc_trim(0): gives the free memory at the top of malloc's heaps, and whole free pages inside them, back to the system.</summary>
internal static class NativeHeap
{
    private static bool s_unavailable;

    /// <summary>Trims where glibc is the C library; elsewhere (musl, macOS, Windows) does nothing.</summary>
    public static void Trim()
    {
        if (s_unavailable || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true; // not glibc
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim"), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}
