using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Lab.Reports;
using Testbed.Conformance.Harness;
using Testbed.Conformance.Timing;

namespace Testbed.Conformance.Lab;

/// <summary>
/// <c>lab</c>: the replay-attack lab. <c>lab list</c>; <c>lab run EXPERIMENT|all</c> against the reference server
/// (clean or <c>--fault</c>) or any server (<c>--target</c>); <c>lab matrix</c>, every experiment against the clean
/// server and its fault profile; <c>lab proxy</c>, the intercepting proxy on its own.
/// </summary>
internal static class LabCommand
{
    public static Command Create() => new("lab", "The replay-attack lab: an intercepting proxy and experiments of the published attacks.")
    {
        ListCommand.Create("The experiments.", LabCatalog.All, e => $"{e.Name,-16} {e.Title} (weakness: --fault {string.Join(", --fault ", e.Faults)})"),
        Run(),
        Matrix(),
        TimingCommand.Create(),
        PowerCommand.Create(),
        Timing.ConstantTime.ConstantTimeCommand.Create(),
        ProxyCommand(),
    };

    private static Command Run()
    {
        var name = new Argument<string>("experiment") { Description = "An experiment (see `lab list`), or all" };
        var targetOptions = new LabTargetOptions();
        var budget = BudgetOption();
        var obfuscated = new Option<bool>("--obfuscated")
        {
            Description = "The experiment's clients obfuscate their connections (docs/protocol.md §6.1); the proxy strips it, and the report says so",
        };
        var timingOnly = new Option<bool>("--timing-only")
        {
            Description = "timing-oracle: judge by time alone, reporting different answers without counting them (docs/timing.md)",
        };
        var output = new Option<string>("--out") { Description = "Where the reports go", DefaultValueFactory = _ => "lab-reports" };
        var command = new Command("run", "Run an experiment end to end and write its report. Exit 0: not vulnerable; 1: vulnerable (any "
            + "experiment, with all); 3: inconclusive; 2: usage or connection error.")
        {
            name, budget, obfuscated, timingOnly, output,
        };
        targetOptions.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            string chosen = parse.GetValue(name)!;
            LabExperiment[] experiments = chosen == "all" ? [.. targetOptions.HasNodes(parse) ? LabCatalog.All : LabCatalog.SingleServer] : LabCatalog.Find(chosen) is { } one ? [one] : [];
            if (experiments.Length == 0)
            {
                error.WriteLine($"error: no experiment '{chosen}'; known: {string.Join(", ", LabCatalog.All.Select(e => e.Name))}, all");
                return ExitCodes.Usage;
            }

            try
            {
                var verdicts = new List<LabVerdict>();
                foreach (LabExperiment experiment in experiments)
                {
                    await using LabTarget server = await targetOptions.OpenAsync(parse, cancel);
                    string directory = Path.Combine(parse.GetValue(output)!, $"{experiment.Name}-{targetOptions.Label(parse, server)}");
                    ExperimentResult result = await LabRunner.RunAsync(experiment, server, parse.GetValue(budget), directory, cancel,
                        obfuscated: parse.GetValue(obfuscated), timing: new TimingSettings(TimingOnly: parse.GetValue(timingOnly)));
                    verdicts.Add(result.Verdict);
                    PrintResult(console, experiment, result, directory);
                }

                return ExitFor(verdicts);
            }
            catch (Exception e) when (LabTargetOptions.IsUserProblem(e))
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    /// <summary>An experiment's verdict, its cases and its notes, on the console.</summary>
    internal static void PrintResult(TextWriter console, LabExperiment experiment, ExperimentResult result, string directory)
    {
        console.WriteLine($"{experiment.Name} against {result.Target}: {LabReport.VerdictText(result.Verdict)} ({directory}/report.md)");
        foreach (LabCase row in result.Cases)
        {
            console.WriteLine($"  {row.Case}: {row.Outcome}");
        }

        foreach (string note in result.Notes)
        {
            console.WriteLine($"  note: {note}");
        }
    }

    /// <summary>1 when any run was vulnerable, else 3 when any was inconclusive, else 0.</summary>
    internal static int ExitFor(IReadOnlyCollection<LabVerdict> verdicts) =>
        verdicts.Contains(LabVerdict.Vulnerable) ? ExitCodes.Mismatch
        : verdicts.Contains(LabVerdict.Inconclusive) ? ExitCodes.Inconclusive
        : ExitCodes.Success;

    private static Command Matrix()
    {
        var budget = BudgetOption();
        var output = new Option<string>("--out") { Description = "Where the reports and matrix.md go", DefaultValueFactory = _ => "lab-reports" };
        var every = new Option<bool>("--every-fault") { Description = "Run every experiment against every message-layer fault profile, not only its own" };
        var command = new Command("matrix", "Every experiment against the clean reference server and the fault profiles that model its weakness. "
            + "Exit 0: every verdict as expected (the clean server not vulnerable, each experiment's own faults vulnerable); 1: a verdict not as "
            + "expected; 3: no unexpected verdict, but an inconclusive one; 2: usage error.")
        {
            budget, output, every,
        };
        command.SetAction(async (parse, cancel) =>
        {
            string root = parse.GetValue(output)!;
            string[] faults = parse.GetValue(every) ? LabCatalog.MessageLayerFaults : [.. LabCatalog.SingleServer.SelectMany(e => e.Faults).Distinct()];
            var table = new StringBuilder("| experiment | clean server | " + string.Join(" | ", faults.Select(f => $"`{f}`")) + " |\n");
            table.AppendLine("|---|---|" + string.Concat(faults.Select(_ => "---|")));
            bool expected = true, inconclusive = false;
            foreach (LabExperiment experiment in LabCatalog.SingleServer)
            {
                var cells = new List<string>();
                foreach (string? fault in faults.Prepend(null))
                {
                    bool own = fault is not null && experiment.Faults.Contains(fault);
                    if (!parse.GetValue(every) && fault is not null && !own)
                    {
                        cells.Add("");
                        continue;
                    }

                    string name = $"{experiment.Name}-{fault ?? "clean"}";
                    ExperimentResult result = await LabRunner.RunOnReferenceAsync(experiment, fault, parse.GetValue(budget), Path.Combine(root, name), cancel);
                    inconclusive |= result.Verdict == LabVerdict.Inconclusive;
                    expected &= result.Verdict == LabVerdict.Inconclusive
                        || (fault is null ? result.Verdict == LabVerdict.NotVulnerable : !own || result.Verdict == LabVerdict.Vulnerable);
                    string verdict = LabReport.VerdictText(result.Verdict);
                    cells.Add($"[{(own ? $"**{verdict}**" : verdict)}]({name}/report.md)");
                }

                string row = $"| {experiment.Title} (`{experiment.Name}`) | {string.Join(" | ", cells)} |";
                table.AppendLine(row);
                parse.InvocationConfiguration.Output.WriteLine(row);
            }

            await File.WriteAllTextAsync(Path.Combine(root, "matrix.md"), table.ToString(), cancel);
            return !expected ? ExitCodes.Mismatch : inconclusive ? ExitCodes.Inconclusive : ExitCodes.Success;
        });
        return command;
    }

    private static Command ProxyCommand()
    {
        var listen = new Option<string>("--listen") { Description = "host:port to listen on", DefaultValueFactory = _ => "127.0.0.1:6001" };
        var upstream = new Option<string>("--upstream") { Description = "The server: host:port (MTProto TCP) or http://host:port (WebSocket, HTTP and the browser page)", Required = true };
        var rules = new Option<string[]>("--rule") { Description = "DIR:INDEX:ACTION[=ARG], e.g. c2s:3:drop, c2s:2:hold=2, c2s:4:replay-after=10, c2s:2:delay=1500, s2c:*:duplicate, c2s:5:append-block", AllowMultipleArgumentsPerToken = false };
        var rulesFile = new Option<string?>("--rules") { Description = "A file of rules, one per line (# comments)" };
        var capture = new Option<string>("--capture") { Description = "The capture file (JSON Lines, docs/lab.md)", DefaultValueFactory = _ => "capture.jsonl" };
        var command = new Command("proxy", "Run the intercepting proxy until Ctrl+C.") { listen, upstream, rules, rulesFile, capture };
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            var parsed = new List<ProxyRule>();
            foreach (string text in parse.GetValue(rules) ?? [])
            {
                if (ProxyRule.Parse(text, out string? problem) is not { } rule)
                {
                    error.WriteLine($"error: {problem}");
                    return ExitCodes.Usage;
                }

                parsed.Add(rule);
            }

            if (parse.GetValue(rulesFile) is { } file)
            {
                if (!File.Exists(file) || ProxyRule.ParseFile(file, out string? problem) is not { } fromFile)
                {
                    error.WriteLine($"error: {(File.Exists(file) ? null : $"no rules file {file}") ?? "bad rules file"}");
                    return ExitCodes.Usage;
                }

                parsed.AddRange(fromFile);
            }

            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out IPEndPoint? listenAt) || listenAt.Port == 0)
            {
                error.WriteLine($"error: --listen must be ip:port, not '{parse.GetValue(listen)}'");
                return ExitCodes.Usage;
            }

            string upstreamText = parse.GetValue(upstream)!;
            using var recording = new Capture(parse.GetValue(capture), listenAt.ToString(), upstreamText, keepInMemory: false);
            var core = new ProxyCore(recording, parsed);
            IAsyncDisposable proxy;
            try
            {
                proxy = upstreamText.StartsWith("http", StringComparison.Ordinal)
                    ? await WebInterceptingProxy.StartAsync(listenAt, new Uri(upstreamText), core)
                    : TcpInterceptingProxy.Start(listenAt, ParseHostPort(upstreamText), core);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or FormatException or UriFormatException)
            {
                error.WriteLine($"error: cannot start the proxy: {e.Message}");
                return ExitCodes.Usage;
            }

            console.WriteLine($"proxy {listenAt} -> {upstreamText}; rules: {(parsed.Count == 0 ? "none" : string.Join(" ", parsed))}; capture: {parse.GetValue(capture)}");
            await UntilStoppedAsync(cancel);
            try
            {
                // Relayed requests may be long polls held by the server: they are cut, not waited for.
                await proxy.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                error.WriteLine("note: connections still open after 1 s were cut");
            }

            recording.Dispose();
            console.WriteLine($"{recording.PacketCount} packets recorded in {parse.GetValue(capture)}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Waits for Ctrl+C (SIGINT) or SIGTERM. Both are taken over from the runtime (whose default for SIGTERM ends the
    /// process at once), so that the proxy can stop, flush its capture and say what it recorded.
    /// </summary>
    private static async Task UntilStoppedAsync(CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped: the caller closes the proxy and reports.
        }
    }

    private static Option<LabBudget> BudgetOption() => new("--budget")
    {
        Description = "small (seconds; what CI runs) or full (more samples and points)",
        DefaultValueFactory = _ => LabBudget.Full,
    };

    private static DnsEndPoint ParseHostPort(string text)
    {
        int colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and < 65536
            ? new DnsEndPoint(text[..colon], port)
            : throw new FormatException($"'{text}' is not host:port");
    }
}
