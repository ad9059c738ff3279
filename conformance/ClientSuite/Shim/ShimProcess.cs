using System.Diagnostics;

namespace Testbed.Conformance.ClientSuite.Shim;

/// <summary>
/// One run of a shim (docs/client-shims.md): started with the runner's arguments after its own, its JSON lines read as
/// they come, its memory watched (the peak resident size over its process tree, from /proc, for the cases that ask a
/// client not to allocate what a server announces), and killed with its tree when the case is over.
/// </summary>
internal sealed class ShimProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<ShimEvent> _events = [];
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly Lock _lock = new();
    private readonly Task _reading;
    private readonly Task _watching;
    private readonly CancellationTokenSource _stop = new();
    private long _peakKiB;

    private ShimProcess(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(ReadAsync(process.StandardOutput, parse: true), ReadAsync(process.StandardError, parse: false));
        _watching = WatchMemoryAsync();
    }

    /// <summary>The events so far.</summary>
    public IReadOnlyList<ShimEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Everything it printed, stdout then stderr lines as they came, for the report.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_lock)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>What it printed on stderr (the last 50 lines): a crash's message, for the evidence.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_lock)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>The highest resident size seen in its process tree, in MiB.</summary>
    public long PeakMiB => Interlocked.Read(ref _peakKiB) / 1024;

    /// <summary>Its exit code once it exited by itself; null while it runs or when the runner killed it.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Starts <paramref name="command"/> with <paramref name="arguments"/> appended.</summary>
    public static ShimProcess Start(ShimCommand command, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(command.Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in command.Arguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new ShimProcess(Process.Start(start) ?? throw new InvalidOperationException($"{command.Program} did not start"));
    }

    /// <summary>Waits until it exits by itself, <paramref name="until"/> holds (checked every 20 ms), or the deadline.</summary>
    public async Task WaitAsync(TimeSpan deadline, Func<bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline && !_process.HasExited && !until())
        {
            await Task.Delay(20);
        }

        if (_process.HasExited)
        {
            await _reading;
            ExitCode = _process.ExitCode;
        }
    }

    /// <summary>Whether it has a line for event <paramref name="name"/>.</summary>
    public bool Has(string name) => Events.Any(e => e.Name == name);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it exited meanwhile
            }
        }

        await _process.WaitForExitAsync();
        await Task.WhenAll(_reading, _watching);
        _process.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(StreamReader reader, bool parse)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lock)
            {
                if (_output.Count < 2000)
                {
                    _output.Add(line.Length > 500 ? line[..500] + " …" : line);
                }

                if (parse && ShimEvent.Parse(line) is { } shimEvent && _events.Count < 10_000)
                {
                    _events.Add(shimEvent);
                }
                else if (!parse && line.Trim().Length > 0)
                {
                    _errors.Add(line.Length > 300 ? line[..300] + " …" : line);
                    if (_errors.Count > 50)
                    {
                        _errors.RemoveAt(0);
                    }
                }
            }
        }
    }

    private async Task WatchMemoryAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                long total = ResidentKiB(_process.Id);
                if (total > Interlocked.Read(ref _peakKiB))
                {
                    Interlocked.Exchange(ref _peakKiB, total);
                }

                await Task.Delay(25, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }
    }

    /// <summary>VmRSS of <paramref name="pid"/> and its descendants (Linux /proc); 0 where it cannot be read.</summary>
    private static long ResidentKiB(int pid)
    {
        long total = 0;
        var pending = new Stack<int>([pid]);
        for (int seen = 0; pending.Count > 0 && seen < 256; seen++)
        {
            int next = pending.Pop();
            try
            {
                string? line = File.ReadLines($"/proc/{next}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib))
                {
                    total += kib;
                }

                foreach (string task in Directory.EnumerateDirectories($"/proc/{next}/task"))
                {
                    foreach (string child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        pending.Push(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // the process left meanwhile
            }
        }

        return total;
    }
}
