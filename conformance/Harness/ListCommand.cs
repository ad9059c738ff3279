using System.CommandLine;

namespace Testbed.Conformance.Harness;

/// <summary>A <c>list</c> subcommand: one line per item of a catalogue (the lab's experiments, the interop matrix's cells).</summary>
internal static class ListCommand
{
    /// <summary>A <c>list</c> command described by <paramref name="description"/> that prints <paramref name="line"/> of each item.</summary>
    public static Command Create<T>(string description, IEnumerable<T> items, Func<T, string> line)
    {
        var command = new Command("list", description);
        command.SetAction(parse =>
        {
            foreach (T item in items)
            {
                parse.InvocationConfiguration.Output.WriteLine(line(item));
            }
        });
        return command;
    }
}
