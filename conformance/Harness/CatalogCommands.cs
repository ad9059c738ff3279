using System.CommandLine;

namespace Testbed.Conformance.Harness;

/// <summary><c>list</c> (the cases, filterable) and <c>explain ID</c> (one case in full), for either catalogue.</summary>
internal static class CatalogCommands
{
    public static Command List<T>(IReadOnlyList<T> all, FilterOptions filters) where T : ICatalogCase
    {
        var command = new Command("list", "List the conformance cases.") { filters.Ids, filters.Categories, filters.MustOnly };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            T[] cases = [.. filters.Select(parse, all)];
            foreach (T c in cases)
            {
                output.WriteLine($"{c.Id,-8} {c.Category,-10} {(c.Level == RequirementLevel.Must ? "MUST  " : "SHOULD")} {c.Requirement}");
            }

            output.WriteLine($"{cases.Length} cases");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Explain<T>(IReadOnlyList<T> all, string example) where T : ICatalogCase
    {
        var id = new Argument<string>("id") { Description = $"A case id, such as {example}" };
        var command = new Command("explain", "Explain one case: the requirement, its reference, what it sends and expects, and exactly when it passes.") { id };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            if (all.FirstOrDefault(c => string.Equals(c.Id, parse.GetValue(id), StringComparison.OrdinalIgnoreCase)) is not { } c)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: no case '{parse.GetValue(id)}' (see `list`).");
                return ExitCodes.Usage;
            }

            output.WriteLine($"{c.Id} ({c.Category}, {(c.Level == RequirementLevel.Must ? "MUST" : "SHOULD")})");
            output.WriteLine($"  requirement: {c.Requirement}");
            output.WriteLine($"  reference:   docs/protocol.md {c.Reference}");
            output.WriteLine($"  sends:       {c.Sends}");
            output.WriteLine($"  expects:     {c.Expects}");
            output.WriteLine($"  passes when: {c.Passes}");
            return ExitCodes.Success;
        });
        return command;
    }
}
