using System.Text.Json.Nodes;

namespace Testbed.Shims.CSharp;

/// <summary>
/// The shim's standard output: one JSON object per line (docs/client-shims.md, "Output"), written whole and flushed
/// at once, so the runner sees each event as it happens and lines from the update pump never interleave.
/// </summary>
internal static class ShimOutput
{
    /// <summary>The shim contract version this shim speaks.</summary>
    public const int Protocol = 1;

    /// <summary>The client name in describe and start lines.</summary>
    public const string Client = "csharp";

    private static readonly Lock Gate = new();

    /// <summary>The library's version (the protocol assembly's).</summary>
    public static string Version { get; } =
        typeof(Testbed.Protocol.Client.MtProtoClient).Assembly.GetName().Version?.ToString() ?? "0";

    /// <summary>Writes <c>{"event": name, …fields}</c> as one line.</summary>
    public static void Emit(string name, JsonObject? fields = null)
    {
        var line = new JsonObject { ["event"] = name };
        foreach ((string key, JsonNode? value) in fields ?? [])
        {
            line[key] = value?.DeepClone();
        }

        lock (Gate)
        {
            Console.Out.Write(line.ToJsonString() + "\n");
            Console.Out.Flush();
        }
    }

    /// <summary>An <c>error</c> line for a failed step.</summary>
    public static void Error(string step, string message) => Emit("error", new JsonObject { ["step"] = step, ["message"] = message });
}
