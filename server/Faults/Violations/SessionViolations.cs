namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the session cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class SessionViolations
{
    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [];
}
