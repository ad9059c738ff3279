using System.CommandLine;
using System.Text.Json;
using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite.Cases;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.ServerSuite;

/// <summary>
/// <c>run --target URL</c>: the catalogue against a server. Exit 0 when every result is as expected (passes, and
/// the failures the --expect file names), 1 otherwise, 2 on usage or connection problems.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var target = new Option<string[]>("--target")
        {
            Description = "tcp://host:port, ws://host:port/apiws or http://host:port/api; repeated: the nodes of one cluster, the cases spread over them",
            Required = true,
        };
        var framing = new Option<string>("--framing") { Description = "TCP and WebSocket framing: abridged, intermediate, padded, full, obfuscated-abridged, obfuscated-intermediate, obfuscated-padded", DefaultValueFactory = _ => "intermediate" };
        var rsaKey = new Option<string?>("--rsa-key") { Description = "The server's RSA public key (PEM file)" };
        var serverInfo = new Option<string?>("--server-info") { Description = "A /server-info URL that names the key (as the reference server serves it)" };
        var dc = new Option<int>("--dc") { Description = "The data centre the server serves", DefaultValueFactory = _ => 1 };
        var floods = new Option<bool>("--include-floods") { Description = "Also run cases that flood the server (ROB-004); its per-address handshake budget is then spent for about a minute" };
        var expiry = new Option<int?>("--handshake-expiry") { Description = "The server's pending-handshake lifetime in seconds; enables HSK-016, which waits that long" };
        var filters = FilterOptions.Create();
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cases run at once", DefaultValueFactory = _ => 4 };
        ReportOptions reports = ReportOptions.Create();
        var command = new Command("run", "Run the conformance catalogue against an MTProto 2.0 server.")
        {
            target, framing, rsaKey, serverInfo, dc, expiry, floods, filters.Ids, filters.Categories, filters.MustOnly, jobs,
        };
        reports.AddTo(command);

        command.SetAction(async (parse, cancel) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            try
            {
                // The local file first: a wrong --expect is reported before any connection is made.
                Expectations expectations = await reports.ReadExpectationsAsync(parse, cancel);
                string[] addresses = parse.GetValue(target)!;
                Target resolved = await ResolveTargetAsync(addresses[0], parse.GetValue(framing)!, parse.GetValue(rsaKey),
                    parse.GetValue(serverInfo), parse.GetValue(dc), cancel) with
                {
                    HandshakeExpiry = parse.GetValue(expiry) is int seconds ? TimeSpan.FromSeconds(seconds) : null,
                    IncludeFloods = parse.GetValue(floods),
                    Cluster = addresses.Length > 1 ? ClusterAddresses(addresses) : [],
                };
                ConformanceCase[] cases = [.. filters.Select(parse, ConformanceCatalog.All)];
                if (cases.Length == 0)
                {
                    error.WriteLine("error: no case matches the filters (see `list`).");
                    return ExitCodes.Usage;
                }

                if (resolved.KeyFailure is { Refused: { } refused } && ConformanceCatalog.Find(HandshakeCases.CaseChecking(refused)) is { } checking
                    && !cases.Contains(checking))
                {
                    // The first handshake failed a check: the case that checks it gives the verdict, even when not selected.
                    cases = [checking, .. cases];
                }

                DateTimeOffset started = DateTimeOffset.UtcNow;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var progress = new Progress(error, Progress.ErrorIsTerminal, cases.Length, "cases");
                IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(resolved, cases, expectations, parse.GetValue(jobs),
                    r => progress.Advance($"{r.Case.Id} {r.Verdict}"), cancel);
                progress.Finish();
                var report = new RunReport(string.Join(" ", addresses), started, clock.Elapsed, results);
                report.WriteConsole(output);
                await reports.WriteAsync(parse, report, cancel);
                return Verdict(report, results, error);
            }
            catch (Exception e) when (e is TargetProblem or FormatException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    /// <summary>
    /// Checks the target, fetches or reads its key, and runs a first handshake: a target that cannot be reached or does
    /// not speak MTProto is a <see cref="TargetProblem"/> (exit 2); a handshake refused by a client check is a verdict,
    /// kept in <see cref="Target.KeyFailure"/>; otherwise the key serves the whole run.
    /// </summary>
    public static async Task<Target> ResolveTargetAsync(string address, string framingName, string? rsaKeyFile, string? serverInfoUrl, int dc,
        CancellationToken cancel)
    {
        Uri uri = Target.ParseAddress(address, out string? problem) ?? throw new TargetProblem(problem!);
        const string Obfuscated = "obfuscated-";
        bool obfuscated = framingName.StartsWith(Obfuscated, StringComparison.Ordinal);
        TransportFraming framing = (obfuscated ? framingName[Obfuscated.Length..] : framingName) switch
        {
            "abridged" => TransportFraming.Abridged,
            "intermediate" => TransportFraming.Intermediate,
            "padded" => TransportFraming.PaddedIntermediate,
            "full" when !obfuscated => TransportFraming.Full,
            _ => throw new TargetProblem("--framing must be abridged, intermediate, padded, full, or obfuscated- before one of the first three, "
                + $"not '{framingName}'"),
        };
        var target = new Target(uri, framing, await ServerKeyLoader.LoadAsync(rsaKeyFile, serverInfoUrl, cancel), dc) { Obfuscated = obfuscated };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(TargetProblem.HandshakeTimeout);
        try
        {
            return target with { Key = await SharedKey.CreateAsync(target, limit.Token) };
        }
        catch (HandshakeException e) when (e.Refused is not null)
        {
            return target with { KeyFailure = e };
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw TargetProblem.From(uri, new TimeoutException());
        }
        catch (TransportErrorException e) when (e.Code == -404 && target.Transport == "http")
        {
            throw await HttpEndpoint.SpeaksMtProtoAsync(uri, cancel) ? TargetProblem.From(uri, e)
                : new TargetProblem($"{address}: the HTTP answer is not an MTProto transport error (no 4-byte code in its body): check the "
                    + "path (the reference server serves POST /api)", e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException or System.Net.Sockets.SocketException
            or System.Net.WebSockets.WebSocketException or TransportErrorException or HandshakeException)
        {
            throw TargetProblem.From(uri, e);
        }
    }

    /// <summary>The addresses of one cluster's nodes: each a usable target, all on one transport (one key, one framing serve them all).</summary>
    private static Uri[] ClusterAddresses(string[] addresses)
    {
        Uri[] uris = [.. addresses.Select(a => Target.ParseAddress(a, out string? problem) ?? throw new TargetProblem(problem!))];
        return uris.Any(u => u.Scheme != uris[0].Scheme)
            ? throw new TargetProblem($"the --target addresses of one cluster must share a scheme: {string.Join(", ", addresses)}")
            : uris;
    }

    /// <summary>
    /// The exit code: 1 when a result is not as expected; otherwise 2 when the target's rate limit kept cases from
    /// being judged (a green run must mean every selected case was judged); otherwise 0.
    /// </summary>
    private static int Verdict(RunReport report, IReadOnlyList<CaseResult> results, TextWriter error)
    {
        string[] limited = [.. results.Where(r => r.RateLimited).Select(r => r.Case.Id)];
        if (limited.Length > 0)
        {
            error.WriteLine($"{(report.Mismatches == 0 ? "error" : "note")}: {limited.Length} case(s) met the target's rate limit (-429) and were not "
                + $"judged: {string.Join(", ", limited)}. Wait a minute (a flood case or an earlier run spent the per-address budget) or raise the "
                + "target's limit (the reference server: --Testbed:HandshakeMessagesPerMinute=600), and run again.");
        }

        return report.Mismatches > 0 ? ExitCodes.Mismatch : limited.Length > 0 ? ExitCodes.Usage : ExitCodes.Success;
    }
}
