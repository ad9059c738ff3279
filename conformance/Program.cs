using System.CommandLine;
using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Conformance.Vectors;

namespace Testbed.Conformance;

/// <summary>Entry point of the conformance tool.</summary>
public static class Program
{
    /// <summary>Runs the tool.</summary>
    public static int Main(string[] args)
    {
        Progress.ErrorIsTerminal = !Console.IsErrorRedirected;
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Runs the tool with the given output streams (used by the tests).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var root = new RootCommand("MTProto 2.0 testbed conformance tool.")
        {
            RunCommand.Create(), CatalogCommands.List(ConformanceCatalog.All, FilterOptions.Create()), CatalogCommands.Explain(ConformanceCatalog.All, "ENV-013"),
            VectorsCommand.Create(), Lab.LabCommand.Create(), Interop.InteropCommand.Create(), ClientSuite.ClientCommand.Create(),
        };
        return Run(root, args, output, error);
    }

    /// <summary>
    /// Parses and invokes. A command answers the problems it expects itself; anything else is a defect of the tool,
    /// reported in one line with exit 2 ("nothing was judged"). System.CommandLine's own handler would print a stack
    /// trace and exit 1, which `run` and `lab run` define as a verdict (a mismatch, a vulnerable target).
    /// </summary>
    internal static int Run(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        ParseResult parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"error: {parseError.Message}");
            }

            error.WriteLine("Run with --help for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parse.Invoke(configuration);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"error: the tool failed unexpectedly, so nothing was judged ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}); "
                + "please report it with the command line");
            return ExitCodes.Usage;
        }
    }
}
