namespace Testbed.Server.Faults.Violations;

/// <summary>
/// A test-only way to make the reference server break exactly one conformance requirement, so that a test can show
/// the case for it fail (a check that cannot fail is a defect). Unlike the published fault profiles
/// (<see cref="FaultCatalog"/>), violations model no published weakness, and nothing outside the test assemblies can
/// switch one on: no command line, setting or environment variable reaches them (<see cref="ServerApp"/> takes them
/// only through its internal overload).
/// </summary>
/// <param name="CaseId">The conformance case whose requirement the server then breaks, such as ENV-008.</param>
/// <param name="Breaks">What the server then does wrong, in one sentence.</param>
public sealed record Violation(string CaseId, string Breaks)
{
    /// <summary>
    /// Other cases of the same category the violation cannot help breaking too (globs), each for a reason its
    /// declaration gives; empty for most. The violation test allows these to fail and no others.
    /// </summary>
    public IReadOnlyList<string> AlsoBreaks { get; init; } = [];
}
