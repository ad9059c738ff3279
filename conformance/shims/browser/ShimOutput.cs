using System.Text.Json;

namespace Testbed.Shims.Browser;

/// <summary>Standard output as docs/client-shims.md reads it: one JSON object per line, flushed at once.</summary>
internal static class ShimOutput
{
    /// <summary>The contract's version (docs/client-shims.md, "Versions").</summary>
    public const int Protocol = 1;

    /// <summary>The client's name in describe and start; it has no version of its own beyond this checkout's.</summary>
    public const string Client = "testbed-browser";

    /// <summary>What describe and start say as the version: the client is whatever this checkout's client/ holds.</summary>
    public const string Version = "repository";

    /// <summary>Writes one event object.</summary>
    public static void Write(object value) => WriteLine(JsonSerializer.Serialize(value));

    /// <summary>Writes one line that is already an event's JSON (relayed from the page).</summary>
    public static void WriteLine(string json)
    {
        Console.Out.WriteLine(json);
        Console.Out.Flush();
    }
}
