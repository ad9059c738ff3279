using Testbed.Protocol.Sessions;

namespace Testbed.Server.Tests;

/// <summary>A test class whose every test gets a fresh server and a session on a new key (TCP, intermediate framing).</summary>
public abstract class RunningSessionTest : IAsyncLifetime
{
    protected RunningServer Server { get; private set; } = null!;

    private protected TestSession Test { get; private set; } = null!;

    private protected ITestTransport Connection => Test.Connection;

    protected ClientSession Session => Test.Session;

    public async Task InitializeAsync()
    {
        Server = await RunningServer.StartAsync();
        Test = await ClientFlows.OpenSessionAsync(Server);
    }

    public async Task DisposeAsync()
    {
        await Test.DisposeAsync();
        await Server.DisposeAsync();
    }
}
