namespace Testbed.Server.Tests;

/// <summary>
/// Reading the server's security-event log from a test. A packet's answer can reach the client before the server has
/// written the event that explains it, so a test waits for the event it expects (2 s at most) instead of reading once.
/// </summary>
internal static class SecurityEvents
{
    /// <summary>The log's text once <paramref name="expected"/> holds for it, or as it is after 2 s.</summary>
    public static async Task<string> ReadWhenAsync(string dataDirectory, Func<string, bool> expected)
    {
        string path = Path.Combine(dataDirectory, SecurityEventLog.FileName);
        string text = "";
        for (int attempt = 0; attempt < 40; attempt++)
        {
            text = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (expected(text))
            {
                break;
            }

            await Task.Delay(50);
        }

        return text;
    }
}
