using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Testbed.Protocol.Handshake;
using Testbed.Server.Tests;

namespace Testbed.Soak;

/// <summary>
/// The server's own build (server/bin/Release/net10.0) run as a separate process under a descriptor limit, with a
/// fresh data directory: one per attack, so that no attack inherits another's state. <c>ulimit -n</c> sets the soft
/// and the hard limit; .NET raises the soft one to the hard one at start-up, so the hard one is what counts.
/// </summary>
internal sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ServerUnderTest(Process process, ConcurrentQueue<string> output, string dataDirectory, int httpPort, int tcpPort, RsaPublicKey key)
    {
        (_process, _output, DataDirectory, HttpPort, TcpPort, PublicKey) = (process, output, dataDirectory, httpPort, tcpPort, key);
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public RsaPublicKey PublicKey { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the server printed, stdout and stderr, line by line.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Bytes printed so far (UTF-8, a newline per line).</summary>
    public long OutputBytes => _output.Sum(line => System.Text.Encoding.UTF8.GetByteCount(line) + 1L);

    /// <summary>Starts the server with <paramref name="settings"/> and waits for its ports and public key.</summary>
    public static async Task<ServerUnderTest> StartAsync(int descriptorLimit, IEnumerable<string> settings)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-soak-").FullName;
        // $0 is the limit, "$@" the server's command line: nothing is quoted by hand.
        (Process process, ConcurrentQueue<string> output) = ServerLaunch.Start("/bin/bash",
        [
            "-c", "ulimit -n \"$0\" && exec dotnet \"$@\"", descriptorLimit.ToString(CultureInfo.InvariantCulture), ServerAssembly(),
            $"--Testbed:DataDirectory={dataDirectory}", "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=127.0.0.1:0", .. settings,
        ]);
        (int http, int tcp) = await ServerLaunch.WaitForPortsAsync(process, output);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        RsaPublicKey key = RsaPublicKey.FromPem(await client.GetStringAsync(new Uri($"http://127.0.0.1:{http}/server-key.pem")));
        return new ServerUnderTest(process, output, dataDirectory, http, tcp, key);
    }

    /// <summary>
    /// Whether the process has exited, waiting up to 5 s for a process that looks gone (a zombie has no memory line in
    /// /proc) to be reaped, so that its exit code can be read.
    /// </summary>
    public async Task<bool> HasEndedAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(patience.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, as a service manager stops it, so that it writes what it holds (folded log lines); SIGKILL after 15 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.WaitForExit(); // the output streams are drained
    }

    public async ValueTask DisposeAsync() => await ServerLaunch.EndAsync(_process, DataDirectory);

    /// <summary>server/bin/Release/net10.0/testbed-server.dll, found from this build's own directory up to the repository.</summary>
    private static string ServerAssembly()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "server", "bin", "Release", "net10.0", ServerLaunch.AssemblyName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"no server/bin/Release/net10.0/{ServerLaunch.AssemblyName} above {AppContext.BaseDirectory}: build the server with -c Release");
    }
}
