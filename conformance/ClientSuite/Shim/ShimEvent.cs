using System.Text.Json;

namespace Testbed.Conformance.ClientSuite.Shim;

/// <summary>One line of a shim's output (docs/client-shims.md, "Output"): its event name and the line itself.</summary>
internal sealed record ShimEvent(string Name, JsonElement Line)
{
    /// <summary>A string field ("" when absent).</summary>
    public string Text(string field) => Line.TryGetProperty(field, out JsonElement value)
        ? value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText()
        : "";

    /// <summary>An integer field (a number, or a decimal string); null when absent.</summary>
    public long? Number(string field) => Line.TryGetProperty(field, out JsonElement value) switch
    {
        false => null,
        true when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) => n,
        true when value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), out long n) => n,
        _ => null,
    };

    /// <summary>Reads a line; null when it is not a JSON object with an "event".</summary>
    public static ShimEvent? Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("event", out JsonElement name) && name.ValueKind == JsonValueKind.String
                ? new ShimEvent(name.GetString()!, document.RootElement.Clone())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => Line.GetRawText();
}
