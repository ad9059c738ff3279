using Microsoft.AspNetCore.Builder;
using Testbed.Server;

namespace Testbed.Conformance.Interop;

/// <summary>
/// The reference server a cell runs against: started in process on free loopback ports (port 0, then the ports it
/// bound, as <see cref="ServerApp.BoundPorts"/> says) with a fresh data directory, so that its security log holds
/// this cell's events only. The shims read the public key from the data directory (server-public.pem).
/// </summary>
internal sealed class InteropServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private InteropServer(WebApplication app, string dataDirectory, int http, int tcp)
    {
        (_app, DataDirectory, HttpPort, TcpPort) = (app, dataDirectory, http, tcp);
    }

    /// <summary>The data directory: security-events.jsonl, server-public.pem.</summary>
    public string DataDirectory { get; }

    /// <summary>The HTTP/WebSocket port (/apiws).</summary>
    public int HttpPort { get; }

    /// <summary>The MTProto TCP port.</summary>
    public int TcpPort { get; }

    /// <summary>The server's RSA public key, PKCS#1 PEM.</summary>
    public string PublicKeyFile => Path.Combine(DataDirectory, "server-public.pem");

    /// <summary>Starts a server with <paramref name="settings"/> beyond the defaults.</summary>
    public static async Task<InteropServer> StartAsync(IEnumerable<string> settings)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-interop-").FullName;
        WebApplication app = ServerApp.Build(
        [
            $"--Testbed:DataDirectory={dataDirectory}",
            "--Testbed:HttpEndpoint=127.0.0.1:0",
            "--Testbed:TcpEndpoint=127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ]);
        await ServerApp.StartAsync(app);
        (int http, int tcp) = ServerApp.BoundPorts(app);
        return new InteropServer(app, dataDirectory, http, tcp);
    }

    /// <summary>Stops the server (which writes the open window's folded log lines) and deletes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>Stops the server, so that its security log is complete.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }
}
