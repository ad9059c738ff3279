using Microsoft.Extensions.Hosting;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>A host lifetime that leaves starting and stopping to the code that owns the host, and the signals to the process.</summary>
internal sealed class OwnerControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
