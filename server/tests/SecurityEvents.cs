namespace Testbed.Server.Tests;

/// <summary>
/// Reading the server's security-event log from a test. A packet's answer can reach the client before the server has
/// written the event that explains it, so a test waits for the event it expects (<see cref="Clients.Patience"/> at most)
/// instead of reading once.
/// </summary>
internal static class SecurityEvents
{
    /// <summary>The log's text once <paramref name="expected"/> holds for it, or as it is when patience runs out.</summary>
    public static async Task<string> ReadWhenAsync(string dataDirectory, Func<string, bool> expected)
    {
        string path = Path.Combine(dataDirectory, SecurityEventLog.FileName);
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string text = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (expected(text) || patience.Elapsed > Clients.Patience)
            {
                return text;
            }

            await Task.Delay(50);
        }
    }
}
