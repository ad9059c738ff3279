using System.CommandLine;

namespace Testbed.Conformance.Vectors;

/// <summary>
/// <c>vectors [FILE|DIR ...]</c>: checks known-answer and negative vectors against Testbed.Protocol. One line per
/// test group, every failure in full, a summary. Exit 0 when all pass, 1 on any mismatch, 2 when a file does not
/// follow the schema or names an unknown algorithm.
/// </summary>
internal static class VectorsCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Vector files or directories (default: the repository's vectors/ folder).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every test, not only failures." };
        var command = new Command("vectors", "Check known-answer and negative vectors against Testbed.Protocol.") { paths, verbose };
        command.SetAction(parse => Run(parse.GetValue(paths) ?? [], parse.GetValue(verbose), parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string[] paths, bool verbose, TextWriter output, TextWriter error)
    {
        IReadOnlyList<VectorFile> files;
        try
        {
            files = VectorCatalog.Load(paths.Length > 0 ? paths : [FindDefaultDirectory()]);
        }
        catch (VectorFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        int passed = 0, failed = 0;
        try
        {
            foreach (VectorFile file in files)
            {
                output.WriteLine($"{file.Path} [{file.Algorithm}]");
                for (int g = 0; g < file.Groups.Count; g++)
                {
                    var results = file.Groups[g].Select(t => (Test: t, Outcome: VectorCatalog.Check(t))).ToList();
                    int groupPassed = results.Count(r => r.Outcome.Passed);
                    passed += groupPassed;
                    failed += results.Count - groupPassed;
                    output.WriteLine($"  group {g + 1}: {groupPassed}/{results.Count} passed{(groupPassed == results.Count ? "" : "  <-- FAIL")}");
                    foreach (var (test, outcome) in results.Where(r => verbose || !r.Outcome.Passed))
                    {
                        output.WriteLine($"    {(outcome.Passed ? "ok  " : "FAIL")} {test.Id} ({test.Comment}): {outcome.Detail}");
                    }
                }
            }
        }
        catch (VectorFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        output.WriteLine($"vectors: {files.Count} files, {passed + failed} tests: {passed} passed, {failed} failed");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Mismatch;
    }

    /// <summary>The repository's vectors/ folder: looked for from the working directory up, then from the program up.</summary>
    private static string FindDefaultDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "vectors");
                if (File.Exists(Path.Combine(candidate, "schema.json")))
                {
                    return Path.GetRelativePath(Directory.GetCurrentDirectory(), candidate);
                }
            }
        }

        throw new VectorFormatException("no vectors/ folder found above the working directory; name the files or folders to check.");
    }
}
