using System.Diagnostics;
using System.Text.Json;

namespace Testbed.Conformance.Interop;

/// <summary>What a shim reported for one step: <c>{"step":…,"ok":…,"ms":…,"error":…}</c> (docs/interop.md, "The shim contract").</summary>
internal sealed record ShimStep(string Step, bool Ok, double Milliseconds, string? Error, string? AuthKeyId);

/// <summary>
/// One run of a shim: <c>node shim.js --host … --port … --transport … --rsa-key … --session … --dc … --scenario …
/// [--fix …]</c> in the shim's folder, its JSON lines read as they come. The run is bounded: past its deadline the
/// process tree is killed, and the steps it had not reported count as not run.
/// </summary>
internal sealed class ShimRun
{
    private ShimRun(IReadOnlyList<ShimStep> steps, IReadOnlyList<string> output, int exitCode)
    {
        (Steps, Output, ExitCode) = (steps, output, exitCode);
    }

    /// <summary>The steps it reported, in order.</summary>
    public IReadOnlyList<ShimStep> Steps { get; }

    /// <summary>Everything it printed (stdout lines, then stderr), for a failure's report.</summary>
    public IReadOnlyList<string> Output { get; }

    /// <summary>The shim's exit code; -1 when it was killed at the deadline.</summary>
    public int ExitCode { get; }

    /// <summary>Runs the shim in <paramref name="shimDirectory"/> with <paramref name="arguments"/>.</summary>
    public static async Task<ShimRun> RunAsync(string shimDirectory, IEnumerable<string> arguments, TimeSpan deadline)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = shimDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("shim.js");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        int exitCode;
        using (var patience = new CancellationTokenSource(deadline))
        {
            try
            {
                await process.WaitForExitAsync(patience.Token);
                exitCode = process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                exitCode = -1;
            }
        }

        string[] lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var steps = new List<ShimStep>();
        foreach (string line in lines)
        {
            Read(line, steps);
        }

        return new ShimRun(steps, [.. lines, .. (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)], exitCode);
    }

    private static void Read(string line, List<ShimStep> steps)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("step", out JsonElement step))
            {
                steps.Add(new ShimStep(step.GetString()!, root.GetProperty("ok").GetBoolean(), root.GetProperty("ms").GetDouble(),
                    Text(root, "error"), Text(root, "auth_key_id")));
            }
        }
        catch (JsonException)
        {
            // a line that is not the contract's (a library printing on stdout) is kept in Output only
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
