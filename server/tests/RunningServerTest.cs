namespace Testbed.Server.Tests;

/// <summary>A test class whose every test gets a fresh server (own data directory, ports, rate limits).</summary>
public abstract class RunningServerTest : IAsyncLifetime
{
    protected RunningServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
