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
    public Task<Probe> OwnKeySessionAsync() => Probe.OpenAsync(Target, Cancel);
}
