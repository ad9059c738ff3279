namespace Testbed.Conformance.Harness;

/// <summary>
/// An expectations file: the cases a target is known to fail, one per line as <c>ID-or-glob  reason</c>; blank
/// lines and lines starting with # are ignored. Every entry needs a reason.
/// </summary>
internal sealed class Expectations
{
    private readonly List<(string Glob, string Reason)> _entries;

    private Expectations(List<(string Glob, string Reason)> entries) => _entries = entries;

    public static Expectations None { get; } = new([]);

    public IReadOnlyList<(string Glob, string Reason)> Entries => _entries;

    /// <summary>Reads a file; a line without a reason is an error with its line number.</summary>
    public static Expectations Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<(string, string)>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
            {
                throw new FormatException($"{source}:{i + 1}: '{line}' needs a reason after the case id");
            }

            entries.Add((parts[0], parts[1].Trim()));
        }

        return new Expectations(entries);
    }

    /// <summary>Why the case is expected to fail, or null when it is expected to pass.</summary>
    public string? ReasonFor(string id) => _entries.FirstOrDefault(e => CaseIdGlob.Matches(e.Glob, id)).Reason;
}
