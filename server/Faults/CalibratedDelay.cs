using System.Diagnostics;

namespace Testbed.Server.Faults;

/// <summary>
/// A busy wait of a given number of nanoseconds on the monotonic high-resolution clock, for the planted timing leak
/// of length-timing-leak. Sleeping would not do: the scheduler wakes a sleeper tens of microseconds late, so a 100 ns
/// leak would become a random one of about 50 µs. Spinning on <see cref="Stopwatch"/> (CLOCK_MONOTONIC, 1 ns ticks on
/// Linux) keeps the thread and ends within one clock read of the target.
/// </summary>
internal static class CalibratedDelay
{
    private const long CalibrationTarget = 2000;

    /// <summary>
    /// What a wait costs beyond its target, in nanoseconds, measured once: the clock reads at its start and end, the
    /// call, and the overshoot of the last read (about 40–60 ns on this machine's cores). Each wait is shortened by it,
    /// so that a planted leak of N ns costs N ns on average; a leak smaller than this cannot be planted, and costs this.
    /// </summary>
    public static double OverheadNanoseconds { get; } = Calibrate();

    /// <summary>Spins for <paramref name="nanoseconds"/>, less the calibrated overhead.</summary>
    public static void Spin(long nanoseconds) => SpinUncorrected(nanoseconds - OverheadNanoseconds);

    private static void SpinUncorrected(double nanoseconds)
    {
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)Math.Round(nanoseconds * Stopwatch.Frequency / 1e9);
        while (Stopwatch.GetTimestamp() < end)
        {
            // Nothing: the clock read is the wait.
        }
    }

    /// <summary>
    /// The median, over 501 waits of 2 µs, of the time a wait took beyond its target, timed by two clock reads around
    /// it (less the cost of those reads themselves, measured the same way around nothing).
    /// </summary>
    private static double Calibrate()
    {
        double[] empty = new double[501], waits = new double[501];
        for (int i = 0; i < waits.Length; i++)
        {
            long before = Stopwatch.GetTimestamp();
            long after = Stopwatch.GetTimestamp();
            empty[i] = after - before;
            before = Stopwatch.GetTimestamp();
            SpinUncorrected(CalibrationTarget);
            after = Stopwatch.GetTimestamp();
            waits[i] = after - before;
        }

        Array.Sort(empty);
        Array.Sort(waits);
        double toNanoseconds = 1e9 / Stopwatch.Frequency;
        return Math.Max(0, ((waits[waits.Length / 2] - empty[empty.Length / 2]) * toNanoseconds) - CalibrationTarget);
    }
}
