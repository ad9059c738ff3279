using System.Globalization;

namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// Writes paired timings for the two published analysers, so a run's verdict can be checked with their code too
/// (docs/timing.md, "Timing statistics"). Numbers are written in the invariant culture, one record a line ("\n").
/// </summary>
public static class TimingCsv
{
    /// <summary>
    /// RTLF's "classic" input (https://github.com/tls-attacker/RTLF, README, "Input Formats"): a header <c>V1,V2</c>,
    /// then one line per measurement, its series label (<c>X</c> for class A, <c>Y</c> for class B) and its time.
    /// The times stay in integer nanoseconds (RTLF takes any unit and reports in the one it is given); pairs are
    /// written in their measured order, A then B. RTLF's reader treats a 0 as missing and drops it.
    /// </summary>
    public static void WriteRtlf(TextWriter writer, ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        ArgumentNullException.ThrowIfNull(writer);
        PairedTimes.RequireSameLength(a, b);
        writer.Write("V1,V2\n");
        for (int i = 0; i < a.Length; i++)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"X,{a[i]}\nY,{b[i]}\n"));
        }
    }

    /// <summary>
    /// tlsfuzzer's <c>timing.csv</c> (https://tlsfuzzer.readthedocs.io/en/latest/timing-analysis.html, "Generic data
    /// analysis"; read by <c>tlsfuzzer/analysis.py</c>): a header of class names, then one row per tuple of
    /// measurements taken together, each a time in seconds. Nanoseconds are written as exact decimal seconds with nine
    /// digits (the precision analysis.py keeps in its float64 copy).
    /// </summary>
    public static void WriteTlsfuzzer(TextWriter writer, ReadOnlySpan<long> a, ReadOnlySpan<long> b, string nameA = "A", string nameB = "B")
    {
        ArgumentNullException.ThrowIfNull(writer);
        PairedTimes.RequireSameLength(a, b);
        if (nameA.Contains(',', StringComparison.Ordinal) || nameB.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException("Class names must not contain commas.", nameof(nameA));
        }
        writer.Write($"{nameA},{nameB}\n");
        for (int i = 0; i < a.Length; i++)
        {
            writer.Write($"{Seconds(a[i])},{Seconds(b[i])}\n");
        }
    }

    /// <summary>Nanoseconds as exact decimal seconds: 1234567890 reads "1.234567890".</summary>
    internal static string Seconds(long nanoseconds)
    {
        string sign = nanoseconds < 0 ? "-" : "";
        ulong magnitude = nanoseconds < 0 ? (ulong)-(nanoseconds + 1) + 1 : (ulong)nanoseconds;
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{magnitude / 1_000_000_000}.{magnitude % 1_000_000_000:D9}");
    }
}
