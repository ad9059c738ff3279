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
            RunCommand.Create(), CatalogCommands.List(), CatalogCommands.Explain(), VectorsCommand.Create(), Lab.LabCommand.Create(),
        };
        ParseResult parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"error: {parseError.Message}");
            }

            error.WriteLine("Run with --help for usage.");
            return ExitCodes.Usage;
        }

        return parse.Invoke(configuration);
    }
}
