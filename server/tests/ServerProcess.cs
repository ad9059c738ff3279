using System.Collections.Concurrent;
using System.Diagnostics;

namespace Testbed.Server.Tests;

/// <summary>
/// The server as a separate operating-system process (the built testbed-server.dll under `dotnet`), as a user runs it:
/// so a test can kill it with SIGKILL — no shutdown code runs — and start it again on the same data directory, read
/// what it prints, or see it refuse to start. It binds port 0 first and learns its ports from its own start-up lines
/// (a port found free and handed over could be taken in between).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly string[] _extraArguments;
    private Process _process;
    private ConcurrentQueue<string> _output;

    private ServerProcess(Process process, ConcurrentQueue<string> output, string dataDirectory, int httpPort, int tcpPort, string[] extraArguments)
    {
        (_process, _output, _extraArguments) = (process, output, extraArguments);
        DataDirectory = dataDirectory;
        HttpPort = httpPort;
        TcpPort = tcpPort;
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int TcpPort { get; }

    /// <summary>What the current process has printed so far, stdout and stderr, line by line.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Starts the server and waits for its start-up lines; <paramref name="extraArguments"/> are more settings.</summary>
    public static async Task<ServerProcess> StartAsync(params string[] extraArguments)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-process-").FullName;
        (Process process, ConcurrentQueue<string> output) = Launch([$"--Testbed:DataDirectory={dataDirectory}",
            "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=127.0.0.1:0", .. extraArguments]);
        (int http, int tcp) = await ServerLaunch.WaitForPortsAsync(process, output);
        return new ServerProcess(process, output, dataDirectory, http, tcp, extraArguments);
    }

    /// <summary>Runs the server with <paramref name="arguments"/> alone, for a start that must fail: its exit code and output.</summary>
    public static async Task<(int ExitCode, string[] Output)> RunUntilExitAsync(params string[] arguments)
    {
        (Process process, ConcurrentQueue<string> output) = Launch(arguments);
        using (process)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the server did not exit; it printed:\n{string.Join('\n', output)}");
            }

            process.WaitForExit(); // the output streams are drained
            return (process.ExitCode, [.. output]);
        }
    }

    /// <summary>SIGTERM, as Ctrl+C or a service manager stops it, and the exit code: all it printed is in <see cref="Output"/>.</summary>
    public async Task<int> StopAsync()
    {
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        await _process.WaitForExitAsync();
        _process.WaitForExit(); // the output streams are drained
        return _process.ExitCode;
    }

    /// <summary>SIGKILL, then a fresh process on the same data directory and ports.</summary>
    public async Task KillAndRestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        (_process, _output) = Launch([$"--Testbed:DataDirectory={DataDirectory}",
            $"--Testbed:HttpEndpoint=127.0.0.1:{HttpPort}", $"--Testbed:TcpEndpoint=127.0.0.1:{TcpPort}", .. _extraArguments]);
        await ServerLaunch.WaitForPortsAsync(_process, _output);
    }

    public async ValueTask DisposeAsync() => await ServerLaunch.EndAsync(_process, DataDirectory);

    private static (Process, ConcurrentQueue<string>) Launch(string[] arguments) =>
        ServerLaunch.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, ServerLaunch.AssemblyName), .. arguments]);
}
