using System.Text.RegularExpressions;

namespace Testbed.Conformance.Harness;

/// <summary>Case id globs, as --id and expectations files write them: * for any run of characters, ? for one.</summary>
internal static class CaseIdGlob
{
    /// <summary>Whether <paramref name="id"/> matches a glob with * and ?.</summary>
    public static bool Matches(string glob, string id) =>
        Regex.IsMatch(id, "^" + Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
