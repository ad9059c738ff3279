using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite.Cases;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.ServerSuite;

/// <summary>One case's result, judged against the expectations file.</summary>
internal sealed record CaseResult(ConformanceCase Case, Verdict Verdict, string Evidence, TimeSpan Duration, string? ExpectedFailure) : ICaseResult
{
    ICatalogCase ICaseResult.Case => Case;

    /// <summary>Whether the target's rate limit stopped the case before it could judge (then the verdict is not applicable).</summary>
    public bool RateLimited { get; init; }

    /// <summary>Whether the result is what was expected: a pass (or not applicable) unless a failure was expected, then a failure.</summary>
    public bool AsExpected => ExpectedFailure is null ? Verdict != Verdict.Fail : Verdict == Verdict.Fail;
}

/// <summary>Runs cases against a target, several at a time, each within a time limit; never throws for a case.</summary>
internal static class ConformanceRunner
{
    /// <summary>How long one case may take.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(60);

    public static async Task<IReadOnlyList<CaseResult>> RunAsync(Target target, IReadOnlyList<ConformanceCase> cases, Expectations expectations,
        int jobs, Action<CaseResult>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(expectations);
        var sharedKey = new Lazy<Task<SharedKey>>(() => target switch
        {
            { Key: { } key } => Task.FromResult(key),
            { KeyFailure: { } failure } => Task.FromException<SharedKey>(failure),
            _ => SharedKey.CreateAsync(target, cancel),
        });
        using var slots = new SemaphoreSlim(Math.Max(1, jobs));
        var results = new CaseResult[cases.Count];
        async Task RunAt(int index)
        {
            results[index] = await RunOneAsync(target.ForCase(index), cases[index], () => sharedKey.Value, expectations, cancel).ConfigureAwait(false);
            progress?.Invoke(results[index]);
        }

        await Task.WhenAll(Enumerable.Range(0, cases.Count).Where(i => !cases[i].Floods && !cases[i].MeasuresTime).Select(async index =>
        {
            await slots.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                await RunAt(index).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);
        // Alone, after the others: timing cases (no traffic beside their samples), then floods (they spend the budget).
        IEnumerable<int> alone = Enumerable.Range(0, cases.Count).Where(i => cases[i].MeasuresTime)
            .Concat(Enumerable.Range(0, cases.Count).Where(i => cases[i].Floods));
        foreach (int index in alone)
        {
            await RunAt(index).ConfigureAwait(false);
        }

        return results;
    }

    private static async Task<CaseResult> RunOneAsync(Target target, ConformanceCase conformanceCase, Func<Task<SharedKey>> sharedKey,
        Expectations expectations, CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(CaseTimeout);
        var started = System.Diagnostics.Stopwatch.StartNew();
        CaseOutcome outcome;
        try
        {
            outcome = conformanceCase.Floods && !target.IncludeFloods
                ? CaseOutcome.NotApplicable("a flood case: run with --include-floods (it spends the target's per-address handshake budget for about a minute)")
                : await conformanceCase.Run(new CaseContext(target, sharedKey, limit.Token)).WaitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            outcome = CaseOutcome.Fail($"did not finish within {CaseTimeout.TotalSeconds} s");
        }
        catch (RateLimitedException e)
        {
            outcome = CaseOutcome.RateLimit(e.Message);
        }
        catch (TransportErrorException e) when (e.Code == TransportErrors.RateLimited)
        {
            outcome = CaseOutcome.RateLimit($"the target answered {TransportErrors.Describe(e.Code)} to a handshake");
        }
        catch (HandshakeException e) when (e.Refused is { } refused)
        {
            // A handshake the case needed failed one of the client's checks. That is the verdict of the case that
            // checks that answer; every other case had no key to work with.
            string checkingCase = HandshakeCases.CaseChecking(refused);
            outcome = checkingCase == conformanceCase.Id
                ? CaseOutcome.Fail($"the handshake failed: {e.Message}")
                : CaseOutcome.NotApplicable($"no auth key: the handshake failed {checkingCase} ({e.Message})");
        }
#pragma warning disable CA1031 // A case's failure, whatever it is, is evidence about the target, not a reason to stop the run.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            outcome = CaseOutcome.Fail($"could not complete: {e.GetType().Name}: {e.Message}");
        }

        return new CaseResult(conformanceCase, outcome.Verdict, outcome.Evidence, started.Elapsed, expectations.ReasonFor(conformanceCase.Id))
        {
            RateLimited = outcome.RateLimited,
        };
    }
}
