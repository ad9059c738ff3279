using System.Text.Json;

namespace Testbed.Soak;

/// <summary>
/// Reads the server's security-event log (security-events.jsonl in the data directory, and its rotations .1, .2 …):
/// its size, and how many events of a kind it records for an address. A line may fold repeats:
/// <c>{"time":…,"event":NAME,"remote":ADDR,"folded":COUNT,"window_seconds":10}</c> stands for COUNT events; a full
/// event line (no "folded") for one.
/// </summary>
internal static class SecurityLogTally
{
    private const string FilePattern = "security-events.jsonl*";

    /// <summary>Bytes in every file of the log.</summary>
    public static long Bytes(string dataDirectory) =>
        Directory.EnumerateFiles(dataDirectory, FilePattern).Sum(f => new FileInfo(f).Length);

    /// <summary>Events named <paramref name="name"/> from <paramref name="remote"/>, folded lines counted with their count.</summary>
    public static long Count(string dataDirectory, string name, string remote)
    {
        long total = 0;
        foreach (string file in Directory.EnumerateFiles(dataDirectory, FilePattern))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                total += Weight(line, name, remote);
            }
        }

        return total;
    }

    private static long Weight(string line, string name, string remote)
    {
        try
        {
            using var entry = JsonDocument.Parse(line);
            JsonElement root = entry.RootElement;
            bool matches = root.TryGetProperty("event", out JsonElement e) && e.GetString() == name
                && root.TryGetProperty("remote", out JsonElement r) && r.GetString() is { } address
                && (address == remote || address == $"::ffff:{remote}");
            return !matches ? 0 : root.TryGetProperty("folded", out JsonElement folded) ? folded.GetInt64() : 1;
        }
        catch (JsonException)
        {
            return 0; // a line cut by a kill, or not an event
        }
    }
}
