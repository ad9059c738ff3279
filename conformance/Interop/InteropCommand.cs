using System.CommandLine;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.Interop;

/// <summary>
/// <c>interop</c>: the third-party client matrix (issue 14, docs/interop.md). <c>interop list</c> names the cells;
/// <c>interop run</c> runs them against reference servers it starts, prints the markdown table and exits 0 when every
/// cell went as expected, 1 when one differs, 2 when it could not run (no node, no shims installed).
/// </summary>
internal static class InteropCommand
{
    public static Command Create() => new("interop", "Real MTProto clients from npm (gramjs, mtcute, @mtproto/core) against the reference server.")
    {
        ListCommand.Create("The matrix's cells.", InteropMatrix.Cells, cell => $"{cell.Id,-46} {string.Join(',', cell.Steps)}"), Run(),
    };

    private static Command Run()
    {
        var cellGlob = new Option<string>("--cell") { Description = "Only the cells whose id matches this glob (see `interop list`)", DefaultValueFactory = _ => "*" };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the table to this file" };
        var command = new Command("run", "Run the cells; exit 0: all as expected, 1: a cell differs, 2: cannot run.") { cellGlob, markdown };
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            if (InteropRunner.FindShims() is not { } shims || !InteropMatrix.Cells.All(cell => Directory.Exists(Path.Combine(shims, cell.Shim, "node_modules"))))
            {
                error.WriteLine("error: the shims are not installed: run `npm ci` in each folder of conformance/shims (./test.sh does)");
                return ExitCodes.Usage;
            }

            var results = new List<CellResult>();
            foreach (InteropCell cell in InteropMatrix.Cells.Where(cell => CaseIdGlob.Matches(parse.GetValue(cellGlob)!, cell.Id)))
            {
                cancel.ThrowIfCancellationRequested();
                CellResult result = await InteropRunner.RunAsync(cell, shims);
                if (!result.AsExpected)
                {
                    Differs(console, cell, result);
                    result = await InteropRunner.RunAsync(cell, shims) with { FirstRun = result };
                }

                results.Add(result);
                console.WriteLine($"{cell.Id}: {(result.AsExpected ? "as expected" : "DIFFERS")}{(result.FirstRun is null ? "" : " (second run)")}");
                if (!result.AsExpected)
                {
                    Differs(console, cell, result);
                }
            }

            string table = InteropTable.Markdown(results);
            console.WriteLine();
            console.Write(table);
            if (parse.GetValue(markdown) is { } file)
            {
                await File.WriteAllTextAsync(file, table, cancel);
            }

            return results.All(result => result.AsExpected) ? ExitCodes.Success : ExitCodes.Mismatch;
        });
        return command;
    }

    /// <summary>A differing run's verdict and the shim's last lines, for the reader of the log.</summary>
    private static void Differs(TextWriter console, InteropCell cell, CellResult result)
    {
        console.WriteLine($"{cell.Id}: differs{(result.FirstRun is null ? ", run again on a fresh server" : " again")}");
        foreach (string line in result.Output.TakeLast(30))
        {
            console.WriteLine($"    {line}");
        }
    }
}
