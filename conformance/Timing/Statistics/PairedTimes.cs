namespace Testbed.Conformance.Timing.Statistics;

/// <summary>The one shape every input here has: class A's and class B's times, the i-th of each measured as a pair.</summary>
internal static class PairedTimes
{
    /// <summary>Refuses classes of different lengths, which cannot be pairs.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void RequireSameLength(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Timing pairs need as many class A times as class B times; got {a.Length} and {b.Length}.", nameof(b));
        }
    }
}
