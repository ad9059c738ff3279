using System.CommandLine;
using System.Diagnostics;
using Testbed.Conformance.ClientSuite.Shim;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.ClientSuite;

/// <summary>
/// <c>client list|explain|run</c>: the client catalogue against a client library, through its shim
/// (docs/client-conformance.md, docs/client-shims.md). Same reports, expectations file and exit codes as the server
/// suite's <c>run</c>: 0 when every result is as expected, 1 otherwise, 2 when nothing could be judged.
/// </summary>
internal static class ClientCommand
{
    private const string Categories = "handshake, envelope, msgid, seqno, service, resend, transport";

    public static Command Create() => new("client", "Test an MTProto 2.0 client: a hostile server per case, the client driven by its shim.")
    {
        CatalogCommands.List(ClientCatalog.All, FilterOptions.Create("CHS-*, CEN-00?", Categories)),
        CatalogCommands.Explain(ClientCatalog.All, "CHS-013"),
        Run(),
        ClientTable.Create(),
    };

    private static Command Run()
    {
        var shim = new Option<string>("--shim") { Description = "The shim's command line, its own options included (docs/client-shims.md)", Required = true };
        FilterOptions filters = FilterOptions.Create("CHS-*, CEN-00?", Categories);
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cases run at once", DefaultValueFactory = _ => 2 };
        var stepSeconds = new Option<int>("--step-seconds") { Description = "How long the shim waits for one step", DefaultValueFactory = _ => 4 };
        ReportOptions reports = ReportOptions.Create();
        var command = new Command("run", "Run the client catalogue against a client library through its shim.")
        {
            shim, filters.Ids, filters.Categories, filters.MustOnly, jobs, stepSeconds,
        };
        reports.AddTo(command);

        command.SetAction(async (parse, cancel) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            try
            {
                Expectations expectations = await reports.ReadExpectationsAsync(parse, cancel);
                ClientCase[] cases = [.. filters.Select(parse, ClientCatalog.All)];
                if (cases.Length == 0)
                {
                    error.WriteLine("error: no case matches the filters (see `client list`).");
                    return ExitCodes.Usage;
                }

                if (parse.GetValue(stepSeconds) is < 1 or > 60)
                {
                    error.WriteLine("error: --step-seconds must be 1 to 60.");
                    return ExitCodes.Usage;
                }

                ShimCommand command = ShimCommand.Parse(parse.GetValue(shim)!);
                ShimDescription described = await ShimDescription.ReadAsync(command, cancel);
                DateTimeOffset started = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                var progress = new Progress(error, Progress.ErrorIsTerminal, cases.Length, "cases");
                IReadOnlyList<ClientCaseResult> results = await ClientRunner.RunAsync(command, described, cases, expectations, parse.GetValue(jobs),
                    parse.GetValue(stepSeconds), r => progress.Advance($"{r.Case.Id} {r.Verdict}"), cancel);
                progress.Finish();
                var report = new RunReport($"{described.Client} {described.Version} over {described.Preferred} ({command.Text})", started, clock.Elapsed, results)
                {
                    Suite = "MTProto 2.0 client conformance",
                };
                report.WriteConsole(output);
                await reports.WriteAsync(parse, report, cancel);
                return report.Mismatches > 0 ? ExitCodes.Mismatch : ExitCodes.Success;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
