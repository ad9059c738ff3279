using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ClientSuite;

/// <summary>
/// One requirement of an MTProto 2.0 client, tested by a hostile server (docs/client-conformance.md). Ids are a
/// category prefix and a number, never reused: CHS handshake, CEN envelope, CMI msg_id, CSQ seq_no and acks, CSV
/// service messages, CRS re-sends, CTR transport. <see cref="Reference"/> names the section of docs/protocol.md.
/// </summary>
/// <param name="Id">Stable id, such as CHS-004.</param>
/// <param name="Category">handshake, envelope, msgid, seqno, service, resend, transport.</param>
/// <param name="Level">MUST or SHOULD.</param>
/// <param name="Requirement">The requirement, in our words.</param>
/// <param name="Reference">Where docs/protocol.md states it.</param>
/// <param name="Sends">What the hostile server does.</param>
/// <param name="Expects">What the client must do.</param>
/// <param name="Run">The test: runs the shim against a hostile server (once or more) and judges.</param>
internal sealed record ClientCase(string Id, string Category, RequirementLevel Level, string Requirement, string Reference, string Sends,
    string Expects, Func<ClientCaseRun, Task<CaseOutcome>> Run) : ICatalogCase
{
    /// <summary>The exact test applied for a pass (what the wire and the shim's events must show).</summary>
    public string Passes { get; init; } = "";
}
