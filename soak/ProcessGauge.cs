using System.Globalization;

namespace Testbed.Soak;

/// <summary>One reading of a process's resident memory, open descriptors, and how many of those are sockets.</summary>
internal readonly record struct Gauge(double RssMiB, int Descriptors, int Sockets);

/// <summary>
/// Reads a process's resident set (VmRSS in /proc/PID/status) and its open descriptors (the entries of /proc/PID/fd),
/// Linux's own accounting, as issue 13's tester measured them.
/// </summary>
internal static class ProcessGauge
{
    /// <summary>
    /// What each open descriptor is (the target of its /proc/PID/fd link: a path, <c>socket:[…]</c>, an anon inode),
    /// with numbers in brackets cut off so that like descriptors group together. Empty once the process is gone.
    /// </summary>
    public static IReadOnlyList<string> DescriptorKinds(int processId)
    {
        var kinds = new List<string>();
        try
        {
            foreach (string link in Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd"))
            {
                if (new FileInfo(link).LinkTarget is { } target)
                {
                    int bracket = target.IndexOf('[', StringComparison.Ordinal);
                    kinds.Add(bracket > 0 && !target.StartsWith('/') ? target[..bracket] : target);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile: what was read so far.
        }

        return kinds;
    }

    /// <summary>A reading; null once the process is gone.</summary>
    public static Gauge? Read(int processId)
    {
        try
        {
            string? rss = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (rss is null)
            {
                return null; // a zombie has no memory line
            }

            double kib = double.Parse(rss["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            IReadOnlyList<string> kinds = DescriptorKinds(processId);
            return new Gauge(kib / 1024, kinds.Count, kinds.Count(k => k.StartsWith("socket:", StringComparison.Ordinal)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
