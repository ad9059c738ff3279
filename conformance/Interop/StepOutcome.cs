namespace Testbed.Conformance.Interop;

/// <summary>What became of one step of a cell, against what the matrix expects of it.</summary>
/// <param name="Step">The step's name (the shim contract's).</param>
/// <param name="Expected">"ok", or "fail" (a recorded client bug).</param>
/// <param name="Shim">What the shim reported; null when the step did not run.</param>
internal sealed record StepOutcome(string Step, string Expected, ShimStep? Shim)
{
    /// <summary>Whether it ran and went as expected.</summary>
    public bool AsExpected => Shim is not null && Shim.Ok == (Expected == "ok");

    /// <summary>A table cell: ok, "fails (expected)", or what went wrong.</summary>
    public string Text => Shim is null ? "not run"
        : Shim.Ok ? (Expected == "ok" ? "ok" : "**passes: expected to fail**")
        : Expected == "fail" ? "fails (expected)" : $"**FAIL**: {Shim.Error}";
}
