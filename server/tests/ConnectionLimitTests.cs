using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Testbed.Server.Tests;

/// <summary>
/// Connection admission, timeouts and the buffer budget (issue 13; docs/server.md, "Connections under attack"), on a
/// real server with small settings. A refused connection is closed before it is served; a served one answers a bad
/// packet with -404. The attacker connects from 127.0.0.2 and up, the victim from 127.0.0.1, as two hosts would.
/// Timeouts are checked for what they close, never for how fast (the heartbeat judges once a second).
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task PerAddressCapRefusesOnlyThatAddressAndFreesSlotsAsConnectionsClose()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:MaxConnectionsPerAddress=3", "--Testbed:HandshakeStepSeconds=60");
        List<Socket> attacker = [];
        for (int i = 0; i < 3; i++)
        {
            attacker.Add(await ConnectAsync(server.TcpPort, "127.0.0.2"));
            Assert.True(await AnswersAsync(attacker[^1]), $"connection {i + 1} of 3 is within the cap");
        }

        Assert.False(await ConnectedAndAnsweredAsync(server.TcpPort, "127.0.0.2"), "a fourth connection from the address is past its cap");
        using Socket victim = await ConnectAsync(server.TcpPort, "127.0.0.1");
        Assert.True(await AnswersAsync(victim), "another address is not limited by this one's cap");

        attacker[0].Dispose();
        Assert.True(await EventuallyAsync(() => ConnectedAndAnsweredAsync(server.TcpPort, "127.0.0.2")), "a slot is free again once a connection closed");
        attacker.ForEach(socket => socket.Dispose());
    }

    [Fact]
    public async Task AtTheGlobalCapANewConnectionTakesThePlaceOfTheBusiestAddresssOldestWithoutAKey()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:MaxConnections=4", "--Testbed:HandshakeStepSeconds=60");
        string[] from = ["127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.3"];
        List<Socket> held = [];
        foreach (string address in from)
        {
            held.Add(await ConnectAsync(server.TcpPort, address));
            Assert.True(await AnswersAsync(held[^1]));
        }

        using Socket victim = await ConnectAsync(server.TcpPort, "127.0.0.1");
        Assert.True(await AnswersAsync(victim), "a new connection at the global cap is admitted");
        Assert.True(await ClosedByServerAsync(held[0]), "the oldest connection of the address holding the most made room");
        Assert.True(await AnswersAsync(held[3]), "another address's connection is still served");
        held.ForEach(socket => socket.Dispose());
    }

    [Fact]
    public async Task WhenEveryConnectionHasProvedAKeyTheGlobalCapRefusesBothListeners()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:MaxConnections=2");
        List<Protocol.Client.MtProtoClient> clients = [];
        for (int i = 0; i < 2; i++)
        {
            clients.Add(await Clients.ConnectAsync(server));
            await Clients.WithinPatience(clients[^1].RequestAsync(Clients.Call("ping", 1L))); // a message under the key: proven
        }

        Assert.False(await ConnectedAndAnsweredAsync(server.TcpPort, "127.0.0.2"), "no connection without a key to make room for a new TCP connection");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        Assert.False(await ServesHttpAsync(http, server), "nor for an HTTP connection");
        Assert.Equal(2L, (await Clients.WithinPatience(clients[0].RequestAsync(Clients.Call("ping", 2L)))).Get<long>("ping_id"));

        await clients[1].DisposeAsync();
        Assert.True(await EventuallyAsync(() => ServesHttpAsync(http, server)), "HTTP is admitted again once a connection closed");
        await clients[0].DisposeAsync();
    }

    [Theory]
    [InlineData("nothing", new byte[0], "no complete packet within 1 s of connecting")]
    [InlineData("half a frame header", new byte[] { 0xee, 0xee, 0xee, 0xee, 0x40, 0x00 }, "no complete packet within 1 s of connecting")]
    public async Task ConnectionsWithoutAPacketAreClosedAtTheHandshakeStepDeadline(string sent, byte[] bytes, string reason)
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeStepSeconds=1");
        using Socket socket = await ConnectAsync(server.TcpPort, "127.0.0.2");
        await socket.SendAsync(bytes);
        Assert.True(await ClosedByServerAsync(socket), $"a connection that sent {sent} is closed");
        string events = await SecurityEvents.ReadWhenAsync(server.DataDirectory, text => text.Contains(reason, StringComparison.Ordinal));
        Assert.Contains(reason, events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFrameTricklingBelowTheMinimumRateIsClosed()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeStepSeconds=600", "--Testbed:MinFrameBytesPerSecond=240");
        using Socket socket = await ConnectAsync(server.TcpPort, "127.0.0.2");
        byte[] header = [0xee, 0xee, 0xee, 0xee, 0x00, 0x10, 0x00, 0x00]; // intermediate: a 4096-byte frame follows
        await socket.SendAsync(header);
        bool closed = false;
        for (int second = 0; second < 30 && !closed; second++)
        {
            closed = !await SendsAsync(socket, [0x00]) || await ClosedByServerAsync(socket, TimeSpan.FromSeconds(1));
        }

        Assert.True(closed, "a frame arriving at 1 byte/s is closed");
        string events = await SecurityEvents.ReadWhenAsync(server.DataDirectory, text => text.Contains("below the minimum of 240", StringComparison.Ordinal));
        Assert.Contains("below the minimum of 240", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionThatProvedAKeyKeepsTheLongerIdleAllowance()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeStepSeconds=1", "--Testbed:IdleSeconds=600");
        await using Protocol.Client.MtProtoClient client = await Clients.ConnectAsync(server);
        await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 1L)));
        await Task.Delay(TimeSpan.FromSeconds(4)); // past the handshake step deadline, four heartbeats
        Assert.Equal(2L, (await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 2L)))).Get<long>("ping_id"));
    }

    [Fact]
    public async Task IncompleteFramesPastTheSharedBudgetCloseTheirConnection()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:MaxPacketLength=65536", "--Testbed:MaxBufferedBytes=65536",
            "--Testbed:HandshakeStepSeconds=60", "--Testbed:MinFrameBytesPerSecond=0");
        using Socket first = await ConnectAsync(server.TcpPort, "127.0.0.2");
        await first.SendAsync(IntermediateFrameStart(60_000, sent: 40_000)); // holds the budget's one 64 KiB array
        // The server reads those bytes in 4 KiB segments, the buffer growing 4, 8, 16, 32, 64 KiB: a second frame read
        // before the last step would take the budget first. Nothing outside the server shows that step, so the test
        // gives it half a second (a settling wait, not a measurement: the order is what is checked).
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        using Socket second = await ConnectAsync(server.TcpPort, "127.0.0.3");
        await second.SendAsync(IntermediateFrameStart(1_000, sent: 500));
        Assert.True(await ClosedByServerAsync(second), "a frame the budget cannot hold closes its connection");
        using Socket whole = await ConnectAsync(server.TcpPort, "127.0.0.5");
        Assert.True(await AnswersAsync(whole, length: 200), "a first packet that arrives whole (past the 64 bytes that tell obfuscation apart) needs no buffer");
        string events = await SecurityEvents.ReadWhenAsync(server.DataDirectory, text => text.Contains("in incomplete frames are taken", StringComparison.Ordinal));
        Assert.Contains("the 65536 bytes all connections may hold in incomplete frames are taken", events, StringComparison.Ordinal);

        first.Dispose(); // its array goes back: the budget is free again
        Assert.True(await EventuallyAsync(async () =>
        {
            using Socket third = await ConnectAsync(server.TcpPort, "127.0.0.4");
            await third.SendAsync(IntermediateFrameStart(1_000, sent: 500));
            return !await ClosedByServerAsync(third, TimeSpan.FromSeconds(2));
        }), "once the first connection is gone, a frame can be buffered again");
    }

    [Theory]
    [InlineData("MaxConnectionsPerAddress", 0)]
    [InlineData("MaxConnections", -1)]
    [InlineData("HandshakeStepSeconds", 0)]
    [InlineData("SecurityLogMaxBytes", 100)] // below the longest security-event line
    [InlineData("SecurityLogFiles", 0)]
    public async Task SettingsThatCannotWorkAreRefusedAtStartUp(string name, int value)
    {
        (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync($"--Testbed:{name}={value}", "--Testbed:HttpEndpoint=127.0.0.1:0",
            "--Testbed:TcpEndpoint=127.0.0.1:0", $"--Testbed:DataDirectory={Directory.CreateTempSubdirectory("testbed-limits-").FullName}");
        Assert.Equal(2, exitCode);
        Assert.Contains(output, line => line.Contains($"--Testbed:{name}={value} cannot work", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.StartsWith("   at ", StringComparison.Ordinal));
    }

    // The connections that have sent the intermediate framing's marker.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Socket, object> Marked = [];

    private static byte[] IntermediateFrameStart(int length, int sent)
    {
        byte[] bytes = new byte[4 + 4 + sent];
        bytes.AsSpan(0, 4).Fill(0xee);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), length);
        return bytes;
    }

    /// <summary>A TCP connection from <paramref name="local"/> (any 127.0.0.0/8 address is this host's).</summary>
    internal static async Task<Socket> ConnectAsync(int port, string local)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a new connection from <paramref name="local"/> is served (<see cref="AnswersAsync"/>). A refused one may be
    /// reset before the connect call has even returned (the server aborts it as soon as it is accepted): not served.
    /// </summary>
    private static async Task<bool> ConnectedAndAnsweredAsync(int port, string local)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(port, local);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
            return false;
        }

        using (socket)
        {
            return await AnswersAsync(socket);
        }
    }

    /// <summary>
    /// Whether the server serves the connection: a malformed unencrypted message of <paramref name="length"/> zero
    /// bytes (auth_key_id 0, then a header that is truncated or whose length field does not match) in the intermediate
    /// framing gets -404 back (the framing's marker goes first on a connection's first use, in the same write).
    /// </summary>
    private static async Task<bool> AnswersAsync(Socket socket, int length = 20)
    {
        byte[] packet = new byte[4 + length];
        BinaryPrimitives.WriteInt32LittleEndian(packet, length);
        if (Marked.TryAdd(socket, socket))
        {
            packet = [0xee, 0xee, 0xee, 0xee, .. packet];
        }

        if (!await SendsAsync(socket, packet))
        {
            return false;
        }

        byte[] answer = new byte[8];
        int got = 0;
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (got < answer.Length && await socket.ReceiveAsync(answer.AsMemory(got), patience.Token) is > 0 and int n)
            {
                got += n;
            }
        }
        catch (SocketException)
        {
            return false;
        }

        return got == answer.Length && BinaryPrimitives.ReadInt32LittleEndian(answer.AsSpan(4)) == -404;
    }

    private static async Task<bool> SendsAsync(Socket socket, byte[] bytes)
    {
        try
        {
            await socket.SendAsync(bytes);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether the server closes the connection within <paramref name="patience"/> (20 s unless given).</summary>
    internal static async Task<bool> ClosedByServerAsync(Socket socket, TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Clients.Patience);
        byte[] sink = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(sink, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> ServesHttpAsync(HttpClient http, RunningServer server)
    {
        try
        {
            return (await http.GetAsync(new Uri(server.HttpBase, "/server-info"))).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="condition"/> comes true within 10 s: a slot is given back when the server has finished with its connection.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (SocketException)
            {
                // refused still (a reset as the connection is made)
            }

            await Task.Delay(200);
        }

        return false;
    }
}
