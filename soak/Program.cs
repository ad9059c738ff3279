using System.Diagnostics;
using Testbed.Soak;

// The soak and abuse suite (issue 13; docs/soak.md): each attack against a fresh server process, a table of what the
// server did, exit 0 when every verdict passes, 1 when one fails, 2 on bad usage.
(SoakOptions? options, string? error) = SoakOptions.Parse(args);
if (options is null)
{
    await Console.Error.WriteLineAsync($"error: {error}");
    return 2;
}

var took = Stopwatch.StartNew();
var rows = new List<SoakRow>();
foreach (IAttack attack in options.Attacks)
{
    Console.WriteLine($"== {attack.Name}: {attack.Size(options.Scale)}");
    SoakRow row = await SoakRunner.RunAsync(attack, options.Scale);
    Console.WriteLine(row.Passed ? "   PASS" : $"   FAIL: {string.Join("; ", row.Failures)}");
    rows.Add(row);
}

string table = ResultTable.Render(options.Scale, rows, took.Elapsed);
Console.WriteLine();
Console.WriteLine(table);
if (options.OutFile is { } file)
{
    await File.WriteAllTextAsync(file, table);
}

return rows.TrueForAll(r => r.Passed) ? 0 : 1;
