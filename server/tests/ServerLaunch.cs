using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Testbed.Server.Tests;

/// <summary>
/// Starting the built server as an operating-system process and learning its ports from its start-up lines
/// (docs/server.md, "Start-up lines"). No test framework in here: <see cref="ServerProcess"/> uses it, and the soak
/// suite (soak/) links this file to launch the server under a descriptor limit.
/// </summary>
internal static partial class ServerLaunch
{
    /// <summary>The server's entry assembly, as built next to a project that references the server.</summary>
    public const string AssemblyName = "testbed-server.dll";

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> and collects stdout and stderr line by line.
    /// </summary>
    public static (Process Process, ConcurrentQueue<string> Output) Start(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new ConcurrentQueue<string>();
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.OutputDataReceived += (_, line) => Collect(output, line.Data);
        process.ErrorDataReceived += (_, line) => Collect(output, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    /// <summary>
    /// The ports from the start-up lines, once both are printed (they are printed once both are bound). Kills the
    /// process and throws if it exits or stays silent for a minute.
    /// </summary>
    public static async Task<(int Http, int Tcp)> WaitForPortsAsync(Process process, ConcurrentQueue<string> output)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            string printed = string.Join('\n', output);
            Match http = HttpLine().Match(printed), tcp = TcpLine().Match(printed);
            if (http.Success && tcp.Success)
            {
                return (int.Parse(http.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(tcp.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            if (process.HasExited || patience.Elapsed > TimeSpan.FromMinutes(1))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the server process did not start; it printed:\n{printed}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills the process if it still runs (no shutdown code runs) and deletes its data directory.</summary>
    public static async Task EndAsync(Process process, string dataDirectory)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Directory.Delete(dataDirectory, recursive: true);
    }

    private static void Collect(ConcurrentQueue<string> output, string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    [GeneratedRegex(@"HTTP/WebSocket on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex HttpLine();

    [GeneratedRegex(@"MTProto TCP on tcp://127\.0\.0\.1:(\d+)")]
    private static partial Regex TcpLine();
}
