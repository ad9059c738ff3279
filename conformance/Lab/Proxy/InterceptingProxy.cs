using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>What every proxied connection shares: the rules (which an experiment may change between steps) and the capture.</summary>
public sealed class ProxyCore(Capture capture, IEnumerable<ProxyRule> rules)
{
    private volatile ProxyRule[] _rules = [.. rules];
    private int _lastConnection;

    /// <summary>The record of everything that passed.</summary>
    public Capture Capture { get; } = capture;

    /// <summary>The rules in force.</summary>
    public IReadOnlyList<ProxyRule> Rules => _rules;

    /// <summary>The connections so far, by number.</summary>
    public ConcurrentDictionary<int, ProxiedConnection> Connections { get; } = new();

    /// <summary>Replaces the rules; packets already held or delayed keep their fate.</summary>
    public void SetRules(IEnumerable<ProxyRule> rules) => _rules = [.. rules];

    internal int NextConnectionId() => Interlocked.Increment(ref _lastConnection);

    internal ProxiedConnection Open(string transport, Stream client, Stream server)
    {
        var connection = new ProxiedConnection(this, NextConnectionId(), transport, client, server);
        Connections[connection.Id] = connection;
        connection.Start();
        return connection;
    }
}

/// <summary>
/// The lab's man-in-the-middle for the MTProto TCP transport: listens, connects each client to the upstream
/// server, and passes frames through <see cref="ProxyCore"/>. It never has a key: it sees what a network attacker
/// sees. For WebSocket and HTTP see <see cref="WebInterceptingProxy"/>.
/// </summary>
public sealed class TcpInterceptingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly DnsEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    private TcpInterceptingProxy(IPEndPoint listen, DnsEndPoint upstream, ProxyCore core)
    {
        _listener = new TcpListener(listen);
        _upstream = upstream;
        Core = core;
    }

    /// <summary>The rules, the capture and the connections.</summary>
    public ProxyCore Core { get; }

    /// <summary>Where clients connect (the real port when 0 was asked for).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Starts listening on <paramref name="listen"/> and relaying to <paramref name="upstream"/>.</summary>
    public static TcpInterceptingProxy Start(IPEndPoint listen, DnsEndPoint upstream, ProxyCore core)
    {
        var proxy = new TcpInterceptingProxy(listen, upstream, core);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    /// <summary>
    /// Opens a connection of the attacker's own to the server, with the given framing, through the proxy itself (so it
    /// is captured and can be injected into like any other): how a packet is replayed "on a new connection".
    /// </summary>
    public async Task<(ProxiedConnection Connection, Stream ClientEnd)> ConnectAsync(byte[] framingMarker, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(framingMarker);
        int before = Core.Connections.Keys.DefaultIfEmpty(0).Max(); // before connecting: the proxy may register it at once
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(Endpoint, cancel);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(framingMarker, cancel);
        for (int waited = 0; waited < 5000; waited += 5)
        {
            if (Core.Connections.Values.FirstOrDefault(c => c.Id > before && c.Framing is not null) is { } connection)
            {
                return (connection, stream);
            }

            await Task.Delay(5, cancel);
        }

        client.Dispose();
        throw new IOException("The proxy did not relay the attacker's own connection within 5 s (is the upstream server up?).");
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        client.NoDelay = true;
        var server = new TcpClient { NoDelay = true };
        try
        {
            await server.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Core.Capture.Add(Core.NextConnectionId(), "close", detail: $"the upstream {_upstream.Host}:{_upstream.Port} refused: {e.Message}");
            client.Dispose();
            server.Dispose();
            return;
        }

        Core.Open("tcp", client.GetStream(), server.GetStream());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (ProxiedConnection connection in Core.Connections.Values)
        {
            await connection.DisposeAsync();
        }

        _stop.Dispose();
    }
}
