namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>What a whole run concludes, and the exit code that says it.</summary>
/// <param name="ExitCode">0: the real decryptor cleared and both controls seen; 1: the real decryptor flagged; 3: the run cannot judge.</param>
/// <param name="Text">One sentence for the console and the report.</param>
internal sealed record Conclusion(int ExitCode, string Text)
{
    /// <summary>
    /// A leak on a judged pair, found by its measurement and again by its repeat (<see cref="PairResult.Judgement"/>),
    /// fails the decryptor whatever else happened. Otherwise the run judges only if both
    /// controls were seen (the planted leak found, the shape early exit seen: the measurement can see what it looks
    /// for) and no judged pair is between the thresholds.
    /// </summary>
    public static Conclusion From(IReadOnlyList<PairResult> results)
    {
        PairResult[] judged = [.. results.Where(r => r.Pair.Role == PairRole.Judged)];
        string[] leaks = [.. judged.Where(r => r.Judgement == Verdict.Leak).Select(r => r.Pair.Name)];
        if (leaks.Length > 0)
        {
            return new Conclusion(ExitCodes.Mismatch, $"{ClassPairs.RealDecryptor} is NOT constant-time: {string.Join(", ", leaks)} (|t| > {CropResult.LeakT}, twice).");
        }

        string[] unseen = [.. results.Where(r => r.Pair.Role != PairRole.Judged && r.Verdict != Verdict.Leak).Select(r => r.Pair.Name)];
        if (unseen.Length > 0)
        {
            return new Conclusion(ExitCodes.Inconclusive,
                $"cannot judge: the control{(unseen.Length > 1 ? "s" : "")} {string.Join(", ", unseen)} not seen (|t| ≤ {CropResult.LeakT}); the measurement is too coarse.");
        }

        string[] unsure = [.. judged.Where(r => r.Judgement == Verdict.CannotTell).Select(r => r.Pair.Name)];
        return unsure.Length > 0
            ? new Conclusion(ExitCodes.Inconclusive, $"cannot tell: {string.Join(", ", unsure)} between |t| {PairResult.CannotTellT} and {CropResult.LeakT}, or above it in one of "
                + "two measurements; run with more measurements.")
            : new Conclusion(ExitCodes.Success, $"{ClassPairs.RealDecryptor} cleared (every judged |t| ≤ {PairResult.CannotTellT}) and both controls seen.");
    }
}
