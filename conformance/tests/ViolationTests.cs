using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// Every case shown able to fail. A test-only violation makes the reference server break exactly one requirement
/// (server/Faults/Violations); its case must then fail, and the other cases of its category must still pass (unless
/// the violation declares why it breaks one too). Together with the fault zoo's must-fail cases and the cases other
/// tests drive against stand-in servers, this is the proof that no case is a check that cannot fail.
/// </summary>
public sealed class ViolationTests
{
    /// <summary>Cases shown failing by a test of their own rather than by a fault profile or a violation.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProvenElsewhere = new Dictionary<string, string>
    {
        ["TRN-005"] = "TransportCaseTests (a stand-in server that stays open or answers a framed -404)",
        ["TRN-006"] = "TransportCaseTests (a stand-in server that stays open or answers a framed -404)",

        // With AES-IGE a pasted last block garbles only the last plaintext block, which is padding: to any server the
        // same as ENV-003's flipped bit, so ENV-003's violation (msg_key unchecked) is ENV-015's too.
        ["ENV-015"] = "ENV-003's violation (msg_key unchecked): ViolationTests.ENV_015_fails_against_msg_key_unchecked",

        // A cluster's fault: one server cannot show it, so ./test.sh runs the case across the nodes of the cluster it
        // brings up, clean (it must pass) and with the fault (it must fail; conformance/expectations/per-node-replay-state.txt).
        ["MID-015"] = "fault profile `per-node-replay-state`, on the 3-node cluster ./test.sh brings up (docs/cluster.md)",
    };

    public static TheoryData<string> Violations() => [.. ViolationCatalog.All.Select(v => v.CaseId)];

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task A_violation_fails_its_case_and_only_its_case(string caseId)
    {
        Violation violation = ViolationCatalog.For(caseId)!;
        ConformanceCase broken = ConformanceCatalog.Find(caseId) ?? throw new InvalidOperationException($"{caseId} is not in the catalogue");
        ConformanceCase[] category = [.. ConformanceCatalog.All.Where(c => c.Category == broken.Category)];
        // A flood case needs the limit it floods to be within reach (the zoo's 200 a minute); the others room to work.
        await using RunningServer server = await RunningServer.StartViolatingAsync(violation, InProcessTargets.ServerArguments(broken.Floods ? 200 : 600));
        IReadOnlyList<CaseResult> results = await InProcessTargets.RunAsync(
            InProcessTargets.For(server, TransportFor(caseId)) with { IncludeFloods = broken.Floods }, category);

        CaseResult own = results.Single(r => r.Case.Id == caseId);
        Assert.True(own.Verdict == Verdict.Fail, $"{caseId} against \"{violation.Breaks}\": {own.Verdict}: {own.Evidence}");
        string[] collateral = [.. results.Where(r => r.Verdict == Verdict.Fail && r.Case.Id != caseId
            && !violation.AlsoBreaks.Any(g => CaseIdGlob.Matches(g, r.Case.Id))).Select(r => $"{r.Case.Id}: {r.Evidence}")];
        Assert.True(collateral.Length == 0, $"{caseId}'s violation also broke: {string.Join("; ", collateral)}");
    }

    /// <summary>
    /// Where a case applies: over HTTP for http_wait (SVC-011), over WebSocket for text messages (TRN-007), over TCP
    /// for the rest; the rest of the category runs there too.
    /// </summary>
    private static string TransportFor(string caseId) => caseId switch
    {
        "SVC-011" => "http",
        "TRN-007" => "ws",
        _ => "tcp",
    };

    [Fact]
    public async Task ENV_015_fails_against_msg_key_unchecked()
    {
        await using RunningServer server = await RunningServer.StartViolatingAsync(EnvelopeViolations.MsgKeyUnchecked, InProcessTargets.ServerArguments(600));
        CaseResult result = (await InProcessTargets.RunAsync(InProcessTargets.For(server), [ConformanceCatalog.Find("ENV-015")!])).Single();
        Assert.True(result.Verdict == Verdict.Fail, $"{result.Verdict}: {result.Evidence}");
    }

    [Fact]
    public void Every_violation_names_a_case_of_the_catalogue_and_each_case_has_at_most_one()
    {
        Assert.All(ViolationCatalog.All, v => Assert.NotNull(ConformanceCatalog.Find(v.CaseId)));
        Assert.Equal(ViolationCatalog.All.Count, ViolationCatalog.All.Select(v => v.CaseId).Distinct().Count());
    }

    /// <summary>How each case is shown able to fail: its fault profile, its violation, or its own test; null when not yet.</summary>
    public static string? ProofOf(string caseId) =>
        FaultZooTests.Matrix.Where(f => f.Value.MustFail.Contains(caseId)).Select(f => $"fault profile `{f.Key}`").FirstOrDefault()
        ?? (ViolationCatalog.For(caseId) is { } violation ? $"violation: {violation.Breaks}" : null)
        ?? (ProvenElsewhere.TryGetValue(caseId, out string? test) ? test : null);
}
