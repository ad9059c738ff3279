namespace Testbed.Server.Faults.Violations;

/// <summary>Every violation, by the category of the case it breaks (one file per category, beside this one).</summary>
public static class ViolationCatalog
{
    /// <summary>All violations, in case-id order.</summary>
    public static IReadOnlyList<Violation> All { get; } =
    [
        .. new IEnumerable<Violation>[]
        {
            HandshakeViolations.All, EnvelopeViolations.All, MsgIdViolations.All, SeqNoViolations.All, SessionViolations.All,
            ServiceViolations.All, TransportViolations.All, RobustnessViolations.All, TimingViolations.All,
        }.SelectMany(v => v).OrderBy(v => v.CaseId, StringComparer.Ordinal),
    ];

    /// <summary>The violation of this case, or null.</summary>
    public static Violation? For(string caseId) => All.FirstOrDefault(v => v.CaseId == caseId);
}
