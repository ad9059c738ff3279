namespace Testbed.Conformance.Catalog;

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
    public static CaseOutcome Pass(string evidence) => new(Verdict.Pass, evidence);

    public static CaseOutcome Fail(string evidence) => new(Verdict.Fail, evidence);

    public static CaseOutcome NotApplicable(string why) => new(Verdict.NotApplicable, why);

    /// <summary>Pass when <paramref name="condition"/> holds, else fail; the evidence either way.</summary>
    public static CaseOutcome Check(bool condition, string evidence) => new(condition ? Verdict.Pass : Verdict.Fail, evidence);
}

/// <summary>
/// One requirement of an MTProto 2.0 server, tested from outside. Ids are a category prefix and a number and are
/// never reused; <see cref="Reference"/> names the section of docs/protocol.md, which cites the public sources.
/// </summary>
/// <param name="Id">Stable id, such as ENV-003.</param>
/// <param name="Category">handshake, envelope, msgid, seqno, session, service, transport, robustness, timing.</param>
/// <param name="Level">MUST or SHOULD.</param>
/// <param name="Requirement">The requirement, in our words.</param>
/// <param name="Reference">Where docs/protocol.md states it.</param>
/// <param name="Sends">What the case sends.</param>
/// <param name="Expects">What it accepts as a pass.</param>
/// <param name="Run">The test.</param>
internal sealed record ConformanceCase(string Id, string Category, RequirementLevel Level, string Requirement, string Reference, string Sends,
    string Expects, Func<CaseContext, Task<CaseOutcome>> Run)
{
    /// <summary>Runs after all the others, alone: it exhausts a server-wide resource (a rate limit) that other cases need.</summary>
    public bool RunsLast { get; init; }
}
