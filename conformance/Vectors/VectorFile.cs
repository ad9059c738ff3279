namespace Testbed.Conformance.Vectors;

/// <summary>A loaded and validated vector file.</summary>
/// <param name="Path">Where it was read from.</param>
/// <param name="Algorithm">Its algorithm.</param>
/// <param name="Groups">Its tests, group by group.</param>
public sealed record VectorFile(string Path, string Algorithm, IReadOnlyList<IReadOnlyList<VectorTest>> Groups)
{
    /// <summary>Every test, in order.</summary>
    public IEnumerable<VectorTest> Tests => Groups.SelectMany(g => g);
}
