using System.Globalization;

namespace Testbed.Soak;

/// <summary>One reading of a process's resident memory and open descriptors.</summary>
internal readonly record struct Gauge(double RssMiB, int Descriptors);

/// <summary>
/// Reads a process's resident set (VmRSS in /proc/PID/status) and its open descriptors (the entries of /proc/PID/fd),
/// Linux's own accounting, as issue 13's tester measured them. Null once the process is gone.
/// </summary>
internal static class ProcessGauge
{
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
            int descriptors = Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd").Count();
            return new Gauge(kib / 1024, descriptors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
