namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>What one class pair's measurements show.</summary>
/// <param name="Pair">The pair.</param>
/// <param name="Samples">The raw measurements.</param>
/// <param name="Crops">The t-test over all measurements, then one per cropping threshold.</param>
/// <param name="MedianA">Class 0's median over all measurements, ns.</param>
/// <param name="MedianB">Class 1's median over all measurements, ns.</param>
internal sealed record PairResult(ClassPair Pair, TimingSamples Samples, IReadOnlyList<CropResult> Crops, double MedianA, double MedianB)
{
    /// <summary>The TVLA threshold (Goodwill et al. 2011) above which the check will not call a pair constant-time.</summary>
    public const double CannotTellT = 4.5;

    /// <summary>The uncropped test.</summary>
    public CropResult All => Crops[0];

    /// <summary>The test with the largest |t|, as dudect reports it (a crop whose t is not a number is skipped).</summary>
    public CropResult Largest => Crops.Where(c => !double.IsNaN(c.T)).MaxBy(c => Math.Abs(c.T)) ?? All;

    /// <summary>dudect's verdict on <see cref="Largest"/>, for this measurement alone.</summary>
    public Verdict Verdict => Math.Abs(Largest.T) switch
    {
        > CropResult.LeakT => Verdict.Leak,
        > CannotTellT => Verdict.CannotTell,
        _ => Verdict.ConstantTime,
    };

    /// <summary>
    /// The second measurement of a judged pair this one called a leak: other packets of the same two classes, in
    /// another random order (docs/timing.md, "A leak must be found twice"). Null when none was taken.
    /// </summary>
    public PairResult? Repeat { get; init; }

    /// <summary>
    /// The verdict the run acts on. Without a repeat, <see cref="Verdict"/>. With one, a leak only when the repeat
    /// finds it too; a leak the repeat does not find again leaves the pair undecided (<see cref="Verdict.CannotTell"/>),
    /// not cleared: one of two measurements did see something.
    /// </summary>
    public Verdict Judgement => Repeat is null ? Verdict
        : Verdict == Verdict.Leak && Repeat.Verdict == Verdict.Leak ? Verdict.Leak
        : Verdict.CannotTell;
}
