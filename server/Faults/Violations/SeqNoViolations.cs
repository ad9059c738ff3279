namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the seqno cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class SeqNoViolations
{
    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [];
}
