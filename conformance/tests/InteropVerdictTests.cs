using Testbed.Conformance.Interop;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The interop runner's judgement of a cell (docs/interop.md, "Verdicts"): each way a run can differ from the
/// matrix's expectation makes the cell differ. The shims themselves run in
/// ./test.sh (interop run), which needs node and the npm installs.
/// </summary>
public sealed class InteropVerdictTests
{
    private static readonly InteropCell Cell = new("client", "client", "full", [], ["handshake", "ping:20", "rpc:chat"], [], [], []);

    private static CellResult Result(InteropCell cell, IEnumerable<(string Step, bool Ok)> steps,
        Dictionary<string, long>? refusals = null, long keys = 1) =>
        new(cell, "1.0", [.. cell.Steps.Select(step => new StepOutcome(step, cell.ExpectationFor(step),
            steps.Where(s => s.Step == step).Select(s => new ShimStep(s.Step, s.Ok, 1, s.Ok ? null : "error", null)).FirstOrDefault()))],
            refusals ?? [], keys, []);

    private static readonly (string, bool)[] AllOk = [("handshake", true), ("ping:20", true), ("rpc:chat", true)];

    [Fact]
    public void A_clean_run_is_as_expected() => Assert.True(Result(Cell, AllOk).AsExpected);

    [Fact]
    public void A_failed_step_differs() => Assert.False(Result(Cell, [("handshake", true), ("ping:20", false), ("rpc:chat", true)]).AsExpected);

    [Fact]
    public void A_step_that_did_not_run_differs() => Assert.False(Result(Cell, [("handshake", true), ("ping:20", true)]).AsExpected);

    [Fact]
    public void A_recorded_bug_that_stops_happening_differs()
    {
        InteropCell bug = Cell with { FailingSteps = ["rpc:chat"] };
        Assert.True(Result(bug, [("handshake", true), ("ping:20", true), ("rpc:chat", false)]).AsExpected);
        Assert.False(Result(bug, AllOk).AsExpected);
    }

    [Fact]
    public void An_unexpected_refusal_differs_and_a_salt_correction_does_not()
    {
        Assert.True(Result(Cell, AllOk, refusals: new() { ["salt_mismatch"] = 2 }).AsExpected);
        Assert.False(Result(Cell, AllOk, refusals: new() { ["message_refused"] = 1 }).AsExpected);
    }

    [Fact]
    public void A_required_refusal_that_does_not_happen_differs()
    {
        InteropCell bug = Cell with { RequiredRefusals = ["message_refused"] };
        Assert.True(Result(bug, AllOk, refusals: new() { ["message_refused"] = 30 }).AsExpected);
        Assert.False(Result(bug, AllOk).AsExpected);
    }

    [Fact]
    public void A_cell_that_needed_a_second_run_says_so_and_what_the_first_did()
    {
        CellResult first = Result(Cell, [("handshake", false)]);
        string table = InteropTable.Markdown([Result(Cell, AllOk) with { FirstRun = first }]);
        Assert.Contains("as expected (second run; the first: handshake: FAIL: error)", table, StringComparison.Ordinal);
        Assert.Contains("**differs** (second run", InteropTable.Markdown([first with { FirstRun = first }]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_auth_key_differs() => Assert.False(Result(Cell, AllOk, keys: 2).AsExpected);
}
