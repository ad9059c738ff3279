using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Testbed.Server.Faults;

/// <summary>
/// A busy wait of a given number of nanoseconds, for the planted timing leak of length-timing-leak. Sleeping would
/// not do: the scheduler wakes a sleeper tens of microseconds late, so a 100 ns leak would become a random one of
/// about 50 µs. Waits from <see cref="ClockThresholdNanoseconds"/> up spin on the monotonic clock
/// (<see cref="Stopwatch"/>, CLOCK_MONOTONIC, 1 ns ticks on Linux) and end within one clock read of the target; a
/// shorter wait cannot (two clock reads alone cost tens of nanoseconds), so it counts iterations of a loop whose speed
/// was measured at start-up, which plants leaks down to a few nanoseconds.
/// </summary>
internal static class CalibratedDelay
{
    /// <summary>Waits at least this long spin on the clock; shorter ones count loop iterations.</summary>
    public const long ClockThresholdNanoseconds = 500;

    private const long CalibrationTarget = 2000;

    private static int s_sink;

    /// <summary>
    /// What a clock spin costs beyond its target, in nanoseconds, measured once: the clock reads at its start and end,
    /// the call, and the overshoot of the last read (about 40–60 ns on this machine's cores). Each spin is shortened by
    /// it, so that a planted leak of N ns costs N ns on average.
    /// </summary>
    public static double OverheadNanoseconds { get; } = CalibrateClockSpin();

    /// <summary>Iterations of the counting loop per nanosecond, measured once over about 10 ms.</summary>
    public static double IterationsPerNanosecond { get; } = CalibrateCounting();

    /// <summary>Waits <paramref name="nanoseconds"/> (0 or less returns at once).</summary>
    public static void Spin(long nanoseconds)
    {
        if (nanoseconds >= ClockThresholdNanoseconds)
        {
            SpinOnClock(nanoseconds - OverheadNanoseconds);
        }
        else if (nanoseconds > 0)
        {
            Count((long)Math.Round(nanoseconds * IterationsPerNanosecond));
        }
    }

    private static void SpinOnClock(double nanoseconds)
    {
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)Math.Round(nanoseconds * Stopwatch.Frequency / 1e9);
        while (Stopwatch.GetTimestamp() < end)
        {
            // Nothing: the clock read is the wait.
        }
    }

    // A store the JIT must keep (Volatile) in a loop it must not unroll away: about one cycle an iteration. Compiled
    // optimised at once: with tiered compilation the calibration's long loop ran on-stack-replaced optimised code while
    // the server's short calls ran tier-0 code, five times slower, so a 300 ns leak cost 1.4 µs.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Count(long iterations)
    {
        for (long i = 0; i < iterations; i++)
        {
            Volatile.Write(ref s_sink, (int)i);
        }
    }

    /// <summary>
    /// The median, over 501 spins of 2 µs, of the time a spin took beyond its target, timed by two clock reads around
    /// it (less the cost of those reads themselves, measured the same way around nothing).
    /// </summary>
    private static double CalibrateClockSpin()
    {
        double[] empty = new double[501], waits = new double[501];
        for (int i = 0; i < waits.Length; i++)
        {
            long before = Stopwatch.GetTimestamp();
            long after = Stopwatch.GetTimestamp();
            empty[i] = after - before;
            before = Stopwatch.GetTimestamp();
            SpinOnClock(CalibrationTarget);
            after = Stopwatch.GetTimestamp();
            waits[i] = after - before;
        }

        Array.Sort(empty);
        Array.Sort(waits);
        double toNanoseconds = 1e9 / Stopwatch.Frequency;
        return Math.Max(0, ((waits[waits.Length / 2] - empty[empty.Length / 2]) * toNanoseconds) - CalibrationTarget);
    }

    /// <summary>The median of 11 timed runs of 2 million iterations.</summary>
    private static double CalibrateCounting()
    {
        const long iterations = 2_000_000;
        Count(iterations); // warm before it is timed
        double[] runs = new double[11];
        for (int run = 0; run < runs.Length; run++)
        {
            long before = Stopwatch.GetTimestamp();
            Count(iterations);
            runs[run] = Stopwatch.GetElapsedTime(before).TotalNanoseconds;
        }

        Array.Sort(runs);
        return iterations / runs[runs.Length / 2];
    }
}
