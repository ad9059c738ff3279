using System.Diagnostics;
using System.Net.Sockets;

namespace Testbed.Server.Tests;

/// <summary>
/// The server as a separate operating-system process (the built testbed-server.dll under `dotnet`), so a test can
/// kill it with SIGKILL — no shutdown code runs — and start it again on the same data directory.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private Process _process;

    private ServerProcess(Process process, string dataDirectory, int httpPort, int tcpPort)
    {
        _process = process;
        DataDirectory = dataDirectory;
        HttpPort = httpPort;
        TcpPort = tcpPort;
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public static async Task<ServerProcess> StartAsync()
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-process-").FullName;
        int http = FreePort(), tcp = FreePort();
        var server = new ServerProcess(await LaunchAsync(dataDirectory, http, tcp), dataDirectory, http, tcp);
        return server;
    }

    /// <summary>SIGKILL, then a fresh process on the same data directory and ports.</summary>
    public async Task KillAndRestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = await LaunchAsync(DataDirectory, HttpPort, TcpPort);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
    }

    private static async Task<Process> LaunchAsync(string dataDirectory, int http, int tcp)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (string argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "testbed-server.dll"),
            $"--Testbed:DataDirectory={dataDirectory}", $"--Testbed:HttpEndpoint=127.0.0.1:{http}", $"--Testbed:TcpEndpoint=127.0.0.1:{tcp}",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", tcp);
                return process;
            }
            catch (SocketException)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the server process exited with {process.ExitCode}");
                }

                await Task.Delay(100);
            }
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("the server process did not start listening within 30 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
