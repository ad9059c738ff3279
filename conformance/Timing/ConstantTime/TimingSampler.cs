using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// Takes dudect's measurements (Reparaz et al., DATE 2017, §2 step 1): the class of every measurement is drawn at
/// random, so that drift in the machine (frequency, other load) falls on both classes alike, and each measurement is
/// <see cref="Stopwatch.GetTimestamp"/> around one call of the decryptor. One call takes microseconds and the clock
/// counts nanoseconds on Linux (<see cref="Stopwatch.Frequency"/> 10⁹), so no batching is needed. The inputs are
/// precomputed (<see cref="PacketPool"/>) and the loop allocates nothing; a warm-up, discarded, lets the JIT compile
/// the decryptor at its final tier first.
/// </summary>
internal static class TimingSampler
{
    /// <summary>Discarded measurements before the measured loop, in rounds with a pause for the JIT's background tier-up.</summary>
    public const int WarmUpRounds = 3, WarmUpPerRound = 20_000;

    private static readonly TimeSpan TierUpPause = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// The class of each of 2 × <paramref name="perClass"/> measurements: <paramref name="perClass"/> of each, in an
    /// order shuffled by a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static byte[] ClassOrder(int perClass, int seed)
    {
        byte[] classes = new byte[2 * perClass];
        classes.AsSpan(perClass).Fill(1);
        new Random(seed).Shuffle(classes);
        return classes;
    }

    /// <summary>Warms up, then measures <paramref name="pair"/> in the order of <paramref name="classes"/>.</summary>
    public static TimingSamples Measure(ClassPair pair, byte[] classes)
    {
        byte[] plaintext = new byte[pair.Packets.MaxLength];
        long[] ticks = new long[classes.Length];
        byte[] warmUpOrder = ClassOrder(WarmUpPerRound / 2, seed: classes.Length); // any order: it is discarded
        long[] warmUpTicks = new long[warmUpOrder.Length];
        for (int round = 0; round < WarmUpRounds; round++)
        {
            Run(pair.Decryptor, pair.Packets, warmUpOrder, warmUpTicks, plaintext);
            Thread.Sleep(TierUpPause);
        }

        int gen0 = GC.CollectionCount(0);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();
        Run(pair.Decryptor, pair.Packets, classes, ticks, plaintext);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        long allocatedDuring = GC.GetAllocatedBytesForCurrentThread() - allocated;
        int collections = GC.CollectionCount(0) - gen0;
        double nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        if (nanosecondsPerTick != 1)
        {
            for (int i = 0; i < ticks.Length; i++)
            {
                ticks[i] = (long)Math.Round(ticks[i] * nanosecondsPerTick);
            }
        }

        return new TimingSamples(ticks, classes, collections, allocatedDuring, elapsed);
    }

    /// <summary>
    /// The smallest non-zero difference between two back-to-back readings of the clock, over a bounded number of
    /// readings: what reading it costs, and so the floor under any single measurement (its tick is
    /// 1 / <see cref="Stopwatch.Frequency"/>).
    /// </summary>
    public static double ClockStepNanoseconds()
    {
        long smallest = long.MaxValue;
        for (int i = 0; i < 10_000; i++)
        {
            long first = Stopwatch.GetTimestamp(), second = Stopwatch.GetTimestamp();
            if (second > first)
            {
                smallest = Math.Min(smallest, second - first);
            }
        }

        return smallest == long.MaxValue ? double.NaN : smallest * 1e9 / Stopwatch.Frequency;
    }

    // Compiled fully optimised at once (no tier-0 loop to be replaced mid-run) and never inlined into the warm-up.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Run(Decryptor decrypt, PacketPool packets, byte[] classes, long[] ticks, byte[] plaintext)
    {
        int perClass = packets.PerClass;
        int next0 = 0, next1 = 0;
        for (int i = 0; i < classes.Length; i++)
        {
            int cls = classes[i];
            int index = cls == 0 ? next0++ : next1++;
            ReadOnlySpan<byte> wire = packets.Get(cls, index % perClass);
            long start = Stopwatch.GetTimestamp();
            decrypt(wire, plaintext);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }
}
