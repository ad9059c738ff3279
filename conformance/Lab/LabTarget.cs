using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Testbed.Protocol.Handshake;
using Testbed.Server;
using Testbed.Server.Keys;

namespace Testbed.Conformance.Lab;

/// <summary>
/// The server an experiment runs against: the reference server, which the lab starts itself (in process, a fresh
/// data directory, free loopback ports, the lab clock on, and optionally a fault profile) and so can restart and
/// move the clock of; or any other server, given by address and key, where the cases that need those are skipped.
/// </summary>
internal sealed class LabTarget : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private WebApplication? _app;
    private string[] _arguments = [];
    private string? _dataDirectory;

    private LabTarget(DnsEndPoint tcp, Uri? http, RsaPublicKey key, string description)
    {
        Tcp = tcp;
        Http = http;
        Key = key;
        Description = description;
    }

    /// <summary>The MTProto TCP endpoint.</summary>
    public DnsEndPoint Tcp { get; }

    /// <summary>The other nodes of the target's cluster (--node), for the experiments that need a cluster.</summary>
    public IReadOnlyList<DnsEndPoint> Nodes { get; private init; } = [];

    /// <summary>The server's HTTP base (for the lab clock), when known.</summary>
    public Uri? Http { get; }

    /// <summary>The server's RSA public key.</summary>
    public RsaPublicKey Key { get; private set; }

    /// <summary>"reference server, clean" or "reference server, fault accept-duplicates" or the address.</summary>
    public string Description { get; }

    /// <summary>The fault profile the lab started the reference server with, if any.</summary>
    public string? Fault { get; private init; }

    /// <summary>Whether the lab runs this server and can restart it.</summary>
    public bool CanRestart => _app is not null;

    /// <summary>Whether the server has the lab clock (POST /lab/clock): checked once, when first needed.</summary>
    public async Task<bool> HasLabClockAsync(CancellationToken cancel)
    {
        if (Http is null)
        {
            return false;
        }

        try
        {
            using HttpResponseMessage answer = await _http.GetAsync(new Uri(Http, "/lab/clock"), cancel);
            return answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Moves the server's lab clock forward.</summary>
    public async Task AdvanceClockAsync(TimeSpan by, CancellationToken cancel)
    {
        Uri address = new(Http ?? throw new InvalidOperationException("The server's HTTP address is not known."),
            "/lab/clock?advance=" + by.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        using HttpResponseMessage answer = await _http.PostAsync(address, null, cancel);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>Starts the reference server, clean or with <paramref name="fault"/>.</summary>
    public static async Task<LabTarget> StartReferenceAsync(string? fault)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-lab-").FullName;
        string[] Arguments(int http, int tcp) => ServerCommandLine.TranslateFaults(
        [
            $"--Testbed:DataDirectory={dataDirectory}",
            $"--Testbed:HttpEndpoint=127.0.0.1:{http}",
            $"--Testbed:TcpEndpoint=127.0.0.1:{tcp}",
            "--Testbed:LabClock=true",
            "--Testbed:HandshakeMessagesPerMinute=100000",
            "--Logging:LogLevel:Default=Warning",
            .. fault is null ? Array.Empty<string>() : ["--fault", fault],
        ]);

        // Port 0, then the ports it got: a restart (RestartAsync) binds those same ports again.
        WebApplication app = ServerApp.Build(Arguments(0, 0));
        await app.StartAsync();
        (int http, int tcp) = ServerApp.BoundPorts(app);
        string[] arguments = Arguments(http, tcp);
        return new LabTarget(new DnsEndPoint("127.0.0.1", tcp), new Uri($"http://127.0.0.1:{http}"),
            app.Services.GetRequiredService<ServerKeyStore>().Key.PublicKey, fault is null ? "reference server, clean" : $"reference server, fault {fault}")
        {
            _app = app,
            _arguments = arguments,
            _dataDirectory = dataDirectory,
            Fault = fault,
        };
    }

    /// <summary>Any server: its TCP endpoint, its key, and its HTTP base if it has one.</summary>
    public static LabTarget External(DnsEndPoint tcp, Uri? http, RsaPublicKey key, IReadOnlyList<DnsEndPoint>? nodes = null) =>
        new(tcp, http, key, $"tcp://{tcp.Host}:{tcp.Port}" + string.Concat((nodes ?? []).Select(n => $" + tcp://{n.Host}:{n.Port}")))
        {
            Nodes = nodes ?? [],
        };

    /// <summary>Stops the reference server and starts it again on the same data directory and ports (a fresh lab clock).</summary>
    public async Task RestartAsync()
    {
        if (_app is null)
        {
            throw new InvalidOperationException("Only a reference server the lab started can be restarted.");
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = ServerApp.Build(_arguments);
        await _app.StartAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            Directory.Delete(_dataDirectory!, recursive: true);
        }
    }
}
