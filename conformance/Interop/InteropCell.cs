namespace Testbed.Conformance.Interop;

/// <summary>
/// One cell of the interop matrix (docs/interop.md): a client's shim over one transport, with the runtime fixes it
/// applies, the scenario's steps, and what each step and the server's security log are expected to show.
/// </summary>
/// <param name="Shim">The shim's folder under conformance/shims.</param>
/// <param name="Client">The npm package the shim drives.</param>
/// <param name="Transport">The transport name the shim takes (its own list: the shim refuses others).</param>
/// <param name="Fixes">Runtime fixes of the client's own bugs the shim applies (<c>--fix</c>); empty: as shipped.</param>
/// <param name="Steps">The scenario, step by step (the shim contract's step names).</param>
/// <param name="FailingSteps">Steps expected to fail: a client bug recorded as shipped.</param>
/// <param name="RequiredRefusals">Refusal events that must appear in the security log (the server's answer to a client bug).</param>
/// <param name="ServerSettings">Extra settings for the reference server (<c>--Testbed:NAME=VALUE</c>).</param>
internal sealed record InteropCell(
    string Shim,
    string Client,
    string Transport,
    IReadOnlyList<string> Fixes,
    IReadOnlyList<string> Steps,
    IReadOnlyList<string> FailingSteps,
    IReadOnlyList<string> RequiredRefusals,
    IReadOnlyList<string> ServerSettings)
{
    /// <summary>e.g. <c>gramjs/obfuscated</c>, <c>mtcute/intermediate+acks-not-content-related</c>.</summary>
    public string Id => $"{Shim}/{Transport}" + string.Concat(Fixes.Select(fix => "+" + fix)) + (Steps.Contains("future-salts") ? "/future-salts" : "");

    /// <summary>What <paramref name="step"/> is expected to do: "fail" for a recorded client bug, else "ok".</summary>
    public string ExpectationFor(string step) => FailingSteps.Contains(step) ? "fail" : "ok";
}
