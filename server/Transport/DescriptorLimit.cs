using System.Globalization;

namespace Testbed.Server.Transport;

/// <summary>
/// The process's limit on open file descriptors, and the connection cap derived from it. Every accepted socket takes
/// a descriptor; at the limit the accept loop fails over and over and the process falls over (issue 13 saw it abort
/// with "Out of memory." at about 19,760 idle connections under a limit of 20,000), so the server keeps its sockets
/// well below it: <see cref="AcceptGate"/> bounds the sockets, <see cref="ConnectionAdmission"/> the connections.
/// </summary>
internal static class DescriptorLimit
{
    /// <summary>The socket budget used where the limit cannot be read (not Linux).</summary>
    public const int FallbackSocketBudget = 4096;

    /// <summary>
    /// The sockets the server may hold at once under a descriptor limit (<see cref="AcceptGate"/> closes any beyond):
    /// the limit less the descriptors the process holds already (a fresh server holds about 240: the runtime's, the
    /// listening sockets, the database) and a margin for what it opens under load besides sockets (SQLite's pooled
    /// connections and their journals, the logs' rotations, the epoll and its eventfds, files the browser client is
    /// served from): a tenth of the limit, at least 128. The soak suite found a margin of a tenth alone too small at a
    /// limit of 1,024.
    /// </summary>
    public static int SocketBudgetFor(long descriptorLimit, int openNow) =>
        (int)Math.Clamp(descriptorLimit - openNow - Math.Max(128, descriptorLimit / 10), 32, int.MaxValue);

    /// <summary>The socket budget of this process: <see cref="SocketBudgetFor"/> its soft limit and its descriptors, read now.</summary>
    public static int SocketBudget() => Read() is { } limit ? SocketBudgetFor(limit, OpenNow()) : FallbackSocketBudget;

    /// <summary>
    /// The connection cap <see cref="ConnectionAdmission"/> keeps within a socket budget: the budget less a sixteenth
    /// (at least 64) for the sockets that are not admitted connections: evicted ones not yet closed (at most a
    /// thirty-second of the cap) and those accepted and not yet admitted or refused. At the default limit of 20,000
    /// that is about 16,650 connections in a budget of about 17,760.
    /// </summary>
    public static int ConnectionCapWithin(int socketBudget) => Math.Max(16, socketBudget - Math.Max(64, socketBudget / 16));

    /// <summary>The descriptors this process holds (the entries of /proc/self/fd; 0 where there is no such directory).</summary>
    private static int OpenNow() => Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : 0;

    /// <summary>
    /// The soft RLIMIT_NOFILE of this process from /proc/self/limits ("Max open files  SOFT  HARD  files"), or null
    /// where there is no such file or it says "unlimited". The .NET runtime raises the soft limit to the hard one at
    /// start-up, so this is the hard limit the process was started with.
    /// </summary>
    public static long? Read()
    {
        const string Path = "/proc/self/limits";
        if (!File.Exists(Path))
        {
            return null;
        }

        foreach (string line in File.ReadLines(Path))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
            }
        }

        return null;
    }
}
