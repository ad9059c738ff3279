namespace Testbed.Conformance.Vectors;

/// <summary>The result of checking one vector.</summary>
/// <param name="Passed">Whether the implementation behaved as the vector says.</param>
/// <param name="Detail">What was compared, or what differed.</param>
public sealed record VectorOutcome(bool Passed, string Detail)
{
    /// <summary>A pass.</summary>
    public static VectorOutcome Pass(string detail = "as expected") => new(true, detail);

    /// <summary>A failure.</summary>
    public static VectorOutcome Fail(string detail) => new(false, detail);

    /// <summary>Compares bytes, naming the value.</summary>
    public static VectorOutcome? Mismatch(string what, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual) =>
        expected.SequenceEqual(actual)
            ? null
            : Fail($"{what}: expected {Convert.ToHexStringLower(expected)}, got {Convert.ToHexStringLower(actual)}");

    /// <summary>For an invalid vector: compares the refusal reason with the expected one, if the vector names one.</summary>
    public static VectorOutcome Refused(VectorTest test, string actualReason)
    {
        ArgumentNullException.ThrowIfNull(test);
        return test.Reason is null || test.Reason == actualReason
            ? Pass($"refused: {actualReason}")
            : Fail($"refused for {actualReason}, expected {test.Reason}");
    }
}
