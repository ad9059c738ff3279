using System.Text.RegularExpressions;

namespace Testbed.Shims.Browser;

/// <summary>
/// The browser client's test faults (docs/browser.md §5), read from client/js/faults.js, where the page checks them:
/// one list, so that --describe and the shim's check of --fault can never disagree with the page.
/// </summary>
internal static partial class ClientFaults
{
    private static readonly Lazy<IReadOnlyList<string>> All = new(Read);

    /// <summary>The fault names, in faults.js's order.</summary>
    public static IReadOnlyList<string> Names => All.Value;

    private static List<string> Read()
    {
        string source = File.ReadAllText(Path.Combine(RepositoryRoot.ClientDirectory, "js", "faults.js"));
        int start = source.IndexOf("export const FAULTS", StringComparison.Ordinal);
        int end = source.IndexOf("});", start, StringComparison.Ordinal);
        if (start < 0 || end < 0)
        {
            throw new InvalidOperationException("client/js/faults.js has no FAULTS table");
        }

        return [.. FaultName().Matches(source[start..end]).Select(m => m.Groups[1].Value)];
    }

    [GeneratedRegex(@"^\s+'([a-z0-9-]+)':", RegexOptions.Multiline)]
    private static partial Regex FaultName();
}
