using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ServerSuite;

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
/// <param name="Expects">What the requirement expects the server to answer, in the words of the requirement.</param>
/// <param name="Run">The test.</param>
internal sealed record ConformanceCase(string Id, string Category, RequirementLevel Level, string Requirement, string Reference, string Sends,
    string Expects, Func<CaseContext, Task<CaseOutcome>> Run) : ICatalogCase
{
    /// <summary>
    /// Floods the target and exhausts a server-wide resource (its per-address handshake budget) that other cases
    /// need: runs only with --include-floods, and then after all the others, alone.
    /// </summary>
    public bool Floods { get; init; }

    /// <summary>
    /// Measures response times: runs after the cases that run side by side, alone, so that no other case's traffic and
    /// work is in its samples (a timing case run beside others once saw |t| = 5.3 on a server with no leak).
    /// </summary>
    public bool MeasuresTime { get; init; }

    /// <summary>
    /// Needs the nodes of a cluster (--target once per node): against one target it is not applicable, and what shows
    /// it passing and failing is cluster/ci.sh's run against the clean and the naive cluster (docs/cluster.md).
    /// </summary>
    public bool NeedsCluster { get; init; }

    /// <summary>
    /// The exact test the code applies for a pass, stated next to <see cref="Expects"/> so that a reader can check
    /// that the two agree: which answers pass, which fail, what must follow (a session proven alive afterwards), and
    /// what makes the case not applicable. A criterion looser than the expectation is a false pass waiting to happen.
    /// </summary>
    public string Passes { get; init; } = "";
}
