using System.Diagnostics;
using System.Runtime.InteropServices;
using Testbed.Protocol.Crypto;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>The conditions of a run, stated in its report so that its figures can be weighed and repeated.</summary>
/// <param name="MeasurementsPerClass">Measurements of each class of each pair.</param>
/// <param name="Seed">Seeds the auth key, the packets and the class order.</param>
/// <param name="ThreadPriority">The measuring thread's priority as read back after raising it (Linux may not honour it).</param>
/// <param name="LoadAverage">/proc/loadavg when the run started ("unknown" elsewhere).</param>
/// <param name="ClockStepNanoseconds">See <see cref="TimingSampler.ClockStepNanoseconds"/>.</param>
internal sealed record RunEnvironment(int MeasurementsPerClass, int Seed, ThreadPriority ThreadPriority, string LoadAverage, double ClockStepNanoseconds)
{
    /// <summary>The clock's ticks per second.</summary>
    public static long ClockFrequency => Stopwatch.Frequency;

    /// <summary>Whether AES-IGE runs on AES-NI here: the software fallback's time depends on table lookups.</summary>
    public static bool AesHardwareAccelerated => AesIge.IsHardwareAccelerated;

    /// <summary>The machine, OS and runtime in one line.</summary>
    public static string Machine =>
        $"{Environment.ProcessorCount} CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}";

    /// <summary>Reads the current load average, or "unknown".</summary>
    public static string ReadLoadAverage()
    {
        const string Path = "/proc/loadavg";
        return File.Exists(Path) ? string.Join(' ', File.ReadAllText(Path).Split(' ').Take(3)) : "unknown";
    }
}
