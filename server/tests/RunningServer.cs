using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Testbed.Protocol.Handshake;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Keys;
using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>The real server on real sockets (free loopback ports) with a temporary data directory.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private WebApplication _app;

    private readonly string[] _extraArguments;

    private Violation[] _violations = [];

    private RunningServer(string dataDirectory, WebApplication app, int httpPort, int tcpPort, string[] extraArguments)
    {
        _extraArguments = extraArguments;
        DataDirectory = dataDirectory;
        _app = app;
        HttpPort = httpPort;
        TcpPort = tcpPort;
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public RsaPublicKey PublicKey => _app.Services.GetRequiredService<ServerKeyStore>().Key.PublicKey;

    public AuthKeyStore AuthKeys => _app.Services.GetRequiredService<AuthKeyStore>();

    public Uri HttpBase => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>
    /// Starts a server; <paramref name="extraArguments"/> are more command-line settings. It binds port 0 and reports
    /// the ports it got: a port found free and then handed over can be taken in between by another test or process.
    /// </summary>
    public static Task<RunningServer> StartAsync(params string[] extraArguments) => StartAsync([], extraArguments);

    /// <summary>Starts a server that breaks one conformance requirement on purpose (a test-only violation).</summary>
    internal static Task<RunningServer> StartViolatingAsync(Violation violation, params string[] extraArguments) =>
        StartAsync([violation], extraArguments);

    private static async Task<RunningServer> StartAsync(Violation[] violations, string[] extraArguments)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-server-").FullName;
        WebApplication app = Build(dataDirectory, 0, 0, extraArguments, violations);
        await app.StartAsync();
        ServerEndpoints bound = app.Services.GetRequiredService<ServerEndpoints>();
        return new RunningServer(dataDirectory, app, bound.Http.Bound.Port, bound.Tcp.Bound.Port, extraArguments) { _violations = violations };
    }

    /// <summary>Stops the server and starts it again on the same data directory and ports.</summary>
    public async Task RestartAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = Build(DataDirectory, HttpPort, TcpPort, _extraArguments, _violations);
        await _app.StartAsync();
    }

    /// <summary>Restarts as a different server on the same ports: a new data directory, so a new RSA key and no auth keys.</summary>
    public async Task ReplaceWithNewServerAsync(params string[] extraArguments)
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (string file in Directory.GetFiles(DataDirectory))
        {
            File.Delete(file);
        }

        _app = Build(DataDirectory, HttpPort, TcpPort, extraArguments, _violations);
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    private static WebApplication Build(string dataDirectory, int http, int tcp, string[] extraArguments, Violation[] violations) =>
        ServerApp.Build(ServerCommandLine.TranslateFaults(
        [
            $"--Testbed:DataDirectory={dataDirectory}",
            $"--Testbed:HttpEndpoint=127.0.0.1:{http}",
            $"--Testbed:TcpEndpoint=127.0.0.1:{tcp}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArguments,
        ]), violations);
}
