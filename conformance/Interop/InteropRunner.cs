using System.Globalization;
using Testbed.Soak;

namespace Testbed.Conformance.Interop;

/// <summary>
/// Runs cells one at a time, each against a reference server of its own (so its security log is its own): the
/// shim runs the cell's steps, then the log is read once the server has stopped (stopping writes the folded counts
/// of the open window).
/// </summary>
internal static class InteropRunner
{
    /// <summary>How long one shim may run: its steps have deadlines of their own (the driver's 10 s), this bounds the rest.</summary>
    private static readonly TimeSpan ShimDeadline = TimeSpan.FromSeconds(150);

    /// <summary>Runs <paramref name="cell"/>.</summary>
    public static async Task<CellResult> RunAsync(InteropCell cell, string shimsDirectory)
    {
        ShimRun run;
        Dictionary<string, long> refusals;
        long keys;
        await using (InteropServer server = await InteropServer.StartAsync(cell.ServerSettings))
        {
            string session = Path.Combine(server.DataDirectory, "client-session");
            bool web = cell.Transport.StartsWith("ws-", StringComparison.Ordinal);
            run = await ShimRun.RunAsync(Path.Combine(shimsDirectory, cell.Shim),
            [
                "--host", "127.0.0.1", "--port", (web ? server.HttpPort : server.TcpPort).ToString(CultureInfo.InvariantCulture),
                "--transport", cell.Transport, "--rsa-key", server.PublicKeyFile, "--session", session, "--dc", "1",
                "--scenario", string.Join(',', cell.Steps), .. cell.Fixes.SelectMany(fix => new[] { "--fix", fix }),
            ], ShimDeadline);
            await server.StopAsync();
            refusals = CellResult.RefusalEvents.ToDictionary(name => name, name => SecurityLogTally.Count(server.DataDirectory, name, "127.0.0.1"));
            keys = SecurityLogTally.Count(server.DataDirectory, "auth_key_created", "127.0.0.1");
        }

        StepOutcome[] steps = [.. cell.Steps.Select(step => new StepOutcome(step, cell.ExpectationFor(step), run.Steps.FirstOrDefault(s => s.Step == step)))];
        return new CellResult(cell, InstalledVersion(cell, shimsDirectory), steps, refusals, keys, run.Output);
    }

    /// <summary>The client's version as npm installed it from the shim's lockfile.</summary>
    private static string InstalledVersion(InteropCell cell, string shimsDirectory)
    {
        string manifest = Path.Combine(shimsDirectory, cell.Shim, "node_modules", cell.Client, "package.json");
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(manifest));
        return document.RootElement.GetProperty("version").GetString() ?? "?";
    }

    /// <summary>conformance/shims, looked for from the working directory and from this build's directory upwards.</summary>
    public static string? FindShims()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "conformance", "shims");
                if (Directory.Exists(Path.Combine(candidate, "common")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
