using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Testbed.Server.Transport;

namespace Testbed.Server.Tests;

/// <summary>
/// The accept gate (docs/server.md, "Connections under attack") on Kestrel's real socket transport: within its budget
/// a socket is handed on, beyond it the socket is closed as it is accepted, and a socket's place comes back only once
/// the connection handed on has been disposed of. Without the gate CI's server ran out of descriptors in the soak suite.
/// </summary>
public sealed class AcceptGateTests
{
    [Fact]
    public async Task SocketsBeyondTheBudgetAreClosedAsAcceptedAndADisposedConnectionGivesItsPlaceBack()
    {
        var gate = new AcceptGate(sockets: 2);
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        await using IConnectionListener listener = await gate.Around(transport).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.EndPoint).Port;

        using Socket first = await ConnectionLimitTests.ConnectAsync(port, "127.0.0.2");
        using Socket second = await ConnectionLimitTests.ConnectAsync(port, "127.0.0.2");
        ConnectionContext firstServed = (await listener.AcceptAsync())!;
        ConnectionContext secondServed = (await listener.AcceptAsync())!;
        Assert.Equal(2, gate.Open);

        using Socket beyond = await ConnectionLimitTests.ConnectAsync(port, "127.0.0.3");
        ValueTask<ConnectionContext?> next = listener.AcceptAsync();
        Assert.True(await ConnectionLimitTests.ClosedByServerAsync(beyond), "a socket beyond the budget is closed as it is accepted");
        Assert.False(next.IsCompleted, "and is never handed on");
        Assert.Equal(1, gate.Refused);

        await firstServed.DisposeAsync();
        await firstServed.DisposeAsync();
        Assert.Equal(1, gate.Open); // disposed twice, given back once
        using Socket later = await ConnectionLimitTests.ConnectAsync(port, "127.0.0.4");
        ConnectionContext laterServed = (await next)!;
        Assert.Equal(later.LocalEndPoint, laterServed.RemoteEndPoint);
        Assert.Equal(2, gate.Open);

        await secondServed.DisposeAsync();
        await laterServed.DisposeAsync();
        Assert.Equal(0, gate.Open);
    }
}
