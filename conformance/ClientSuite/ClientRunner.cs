using System.Diagnostics;
using Testbed.Conformance.ClientSuite.Shim;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.ClientSuite;

/// <summary>One client case's result, judged against the expectations file.</summary>
internal sealed record ClientCaseResult(ClientCase Case, Verdict Verdict, string Evidence, TimeSpan Duration, string? ExpectedFailure) : ICaseResult
{
    ICatalogCase ICaseResult.Case => Case;

    public bool AsExpected => ExpectedFailure is null ? Verdict != Verdict.Fail : Verdict == Verdict.Fail;
}

/// <summary>
/// Runs client cases against a shim, <c>jobs</c> at a time; each case gets its own hostile server(s) and shim run(s).
/// One RSA key serves the whole run (making one takes longer than a case); its fingerprint does not begin with a zero
/// hex digit, which CHS-021 tests on its own (<see cref="RsaKeyPair.GenerateWithoutLeadingZeroFingerprint"/>). Never
/// throws for a case: a case that breaks is a failure with the reason as evidence.
/// </summary>
internal static class ClientRunner
{
    /// <summary>How long one case may take in all.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(90);

    public static async Task<IReadOnlyList<ClientCaseResult>> RunAsync(ShimCommand command, ShimDescription shim, IReadOnlyList<ClientCase> cases,
        Expectations expectations, int jobs, int stepSeconds, Action<ClientCaseResult>? progress, CancellationToken cancel)
    {
        using RsaKeyPair key = RsaKeyPair.GenerateWithoutLeadingZeroFingerprint();
        string directory = Directory.CreateTempSubdirectory("testbed-client-suite-").FullName;
        try
        {
            string keyFile = Path.Combine(directory, "server-public.pem");
            // PKCS#1 PEM (RSA PUBLIC KEY), the form docs/client-shims.md promises shims.
            await File.WriteAllTextAsync(keyFile, key.PublicKey.ToPem(), cancel);
            using var slots = new SemaphoreSlim(Math.Max(1, jobs));
            var results = new ClientCaseResult[cases.Count];
            await Task.WhenAll(cases.Select(async (c, index) =>
            {
                await slots.WaitAsync(cancel);
                try
                {
                    results[index] = await RunOneAsync(c, () => new ClientCaseRun(command, shim, key, keyFile, stepSeconds), expectations);
                    progress?.Invoke(results[index]);
                }
                finally
                {
                    slots.Release();
                }
            }));
            return results;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Runs a case, and runs it again (three runs at most) when a run says nothing about the point under test: the
    /// first run did not reach it, or a key began with a zero byte and the client never used it. That second reason
    /// comes one handshake in 256 to a client that drops the byte, whatever the case; without it the verdict would
    /// change from run to run. Each earlier run stays in the evidence.
    /// </summary>
    private static async Task<ClientCaseResult> RunOneAsync(ClientCase c, Func<ClientCaseRun> newRun, Expectations expectations)
    {
        const int MaxRuns = 3;
        var clock = Stopwatch.StartNew();
        var earlier = new List<string>();
        CaseOutcome outcome;
        while (true)
        {
            ClientCaseRun run = newRun();
            outcome = await JudgeAsync(c, run);
            string? again = run.LeadingZeroKeysLost > 0
                ? $"a key the server made began with a zero byte and the client never used it: {outcome.Evidence}"
                : outcome.Unreached && earlier.Count == 0 ? $"it did not reach the point under test: {outcome.Evidence}"
                : null;
            if (again is null || earlier.Count == MaxRuns - 1)
            {
                break;
            }

            earlier.Add(again);
        }

        if (earlier.Count > 0)
        {
            outcome = outcome with { Evidence = $"{outcome.Evidence} (run {earlier.Count + 1}; before it, {string.Join("; then ", earlier)})" };
        }

        return new ClientCaseResult(c, outcome.Verdict, outcome.Evidence, clock.Elapsed, expectations.ReasonFor(c.Id));
    }

    private static async Task<CaseOutcome> JudgeAsync(ClientCase c, ClientCaseRun run)
    {
        CaseOutcome outcome;
        try
        {
            Task<CaseOutcome> running = c.Run(run);
            outcome = await running.WaitAsync(CaseTimeout);
            if (run.Unsupported is { } reason)
            {
                outcome = CaseOutcome.NotApplicable($"the shim cannot run it: {reason}");
            }
        }
        catch (TimeoutException)
        {
            outcome = CaseOutcome.Fail($"the case did not finish within {CaseTimeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or FormatException)
        {
            outcome = CaseOutcome.Fail($"the case could not run: {e.GetType().Name}: {e.Message}");
        }

        return outcome;
    }
}
