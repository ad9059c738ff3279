using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ServerSuite;

/// <summary>What a case works with: the target and a cancellation token that carries the case's time limit.</summary>
internal sealed class CaseContext(Target target, Func<Task<SharedKey>> sharedKey, CancellationToken cancel)
{
    public Target Target { get; } = target;

    public CancellationToken Cancel { get; } = cancel;

    /// <summary>Where the run's shared key comes from (for cases that vary the target).</summary>
    public Func<Task<SharedKey>> SharedKeyFactory { get; } = sharedKey;

    /// <summary>A new connection and session on the run's shared key, its first message already exchanged.</summary>
    public async Task<Probe> WarmSessionAsync() => await (await NewSessionAsync().ConfigureAwait(false)).WarmAsync(Cancel).ConfigureAwait(false);

    /// <summary>A new connection and session on the run's shared key, nothing sent yet.</summary>
    public async Task<Probe> NewSessionAsync() => await Probe.OpenOnKeyAsync(Target, await SharedKeyFactory().ConfigureAwait(false), Cancel).ConfigureAwait(false);

    /// <summary>A new connection with a key of its own (for cases that destroy or expire keys).</summary>
    public Task<Probe> OwnKeySessionAsync() => WithinHandshakeTimeAsync(limit => Probe.OpenAsync(Target, limit));

    /// <summary>A key of the case's own, for cases whose steps would disturb others' sessions on the run's shared key.</summary>
    public Task<SharedKey> OwnKeyAsync() => WithinHandshakeTimeAsync(limit => SharedKey.CreateAsync(Target, limit));

    /// <summary>
    /// A handshake gets the time the run's first one gets (<see cref="TargetProblem.HandshakeTimeout"/>), not the rest
    /// of the case's minute: against a target that does not answer, the case then fails with what went unanswered
    /// instead of running out its time.
    /// </summary>
    private async Task<T> WithinHandshakeTimeAsync<T>(Func<CancellationToken, Task<T>> handshake)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        limit.CancelAfter(TargetProblem.HandshakeTimeout);
        try
        {
            return await handshake(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the handshake for a key of the case's own got no answer within {TargetProblem.HandshakeTimeout.TotalSeconds:F0} s");
        }
    }
}
