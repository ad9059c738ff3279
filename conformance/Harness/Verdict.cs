namespace Testbed.Conformance.Harness;

/// <summary>How strongly the MTProto description (or the security analysis it answers) asks for a behaviour.</summary>
internal enum RequirementLevel
{
    /// <summary>A server that does otherwise is broken or attackable.</summary>
    Must,

    /// <summary>Recommended; a server may have reasons to differ.</summary>
    Should,
}

/// <summary>A case's result.</summary>
internal enum Verdict
{
    /// <summary>The server did what the requirement asks.</summary>
    Pass,

    /// <summary>It did not, or the case could not complete (the evidence says which).</summary>
    Fail,

    /// <summary>The case is about an optional feature the target does not offer (the evidence says why).</summary>
    NotApplicable,
}

/// <summary>What a case found: the verdict and the evidence behind it (what was sent, what came back).</summary>
internal sealed record CaseOutcome(Verdict Verdict, string Evidence)
{
    /// <summary>
    /// The target's rate limit answered (-429) before the case could judge anything: not applicable in this run, never
    /// a failure, and the run as a whole then says so (a rate limit is the target protecting itself, not a defect).
    /// </summary>
    public bool RateLimited { get; init; }

    public static CaseOutcome RateLimit(string what) =>
        new(Verdict.NotApplicable, $"rate-limited: {what}; nothing was judged") { RateLimited = true };

    /// <summary>
    /// The client suite: the run never reached the point the case tests (the client made no session, or never sent the
    /// call the server deviates on), so nothing was learnt about the requirement. A failure; the runner runs such a
    /// case once more (a slow start under load is not a finding), and reports a second one as the failure it is.
    /// </summary>
    public bool Unreached { get; init; }

    public static CaseOutcome NotReached(string evidence) => new(Verdict.Fail, evidence) { Unreached = true };

    public static CaseOutcome Pass(string evidence) => new(Verdict.Pass, evidence);

    public static CaseOutcome Fail(string evidence) => new(Verdict.Fail, evidence);

    public static CaseOutcome NotApplicable(string why) => new(Verdict.NotApplicable, why);

    /// <summary>Pass when <paramref name="condition"/> holds, else fail; the evidence either way.</summary>
    public static CaseOutcome Check(bool condition, string evidence) => new(condition ? Verdict.Pass : Verdict.Fail, evidence);
}
