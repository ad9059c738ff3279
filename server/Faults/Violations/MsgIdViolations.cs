namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the msgid cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class MsgIdViolations
{
    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [];
}
