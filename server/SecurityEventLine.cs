using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Testbed.Server;

/// <summary>
/// Formats one line of the security-event log: a JSON object, <c>{"time": …, "event": …, "transport": …, "remote": …,
/// …fields}</c>, then a newline. A line is at most <see cref="MaxLineBytes"/> bytes, so the log's worst case is a count
/// of lines times a known length (docs/server.md, "Bounded security log"): string values are cut to
/// <see cref="MaxValueChars"/>, and a line still too long is written with its fields left out and <c>"truncated": true</c>.
/// </summary>
internal static class SecurityEventLine
{
    /// <summary>The longest line written, newline included.</summary>
    public const int MaxLineBytes = 1024;

    /// <summary>String values longer than this are cut (ending in …): the longest detail the server writes is shorter.</summary>
    public const int MaxValueChars = 200;

    /// <summary>
    /// The event name and the address in a line without fields (a fold, a truncated line) are cut to this: escaped
    /// JSON takes at most 6 bytes a character, and 2 × (6 × 48 + 2) bytes plus the rest stay below <see cref="MaxLineBytes"/>.
    /// </summary>
    private const int MaxKeyChars = 48;

    /// <summary>Writes an event's line into <paramref name="buffer"/> (cleared first).</summary>
    public static void Event(ArrayBufferWriter<byte> buffer, DateTimeOffset time, string name, PacketOrigin origin,
        ReadOnlySpan<(string Name, object? Value)> fields)
    {
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Start(json, time, name);
            json.WriteString("transport", Cut(origin.Transport, MaxValueChars));
            json.WriteString("remote", Cut(origin.AddressText, MaxValueChars));
            foreach ((string fieldName, object? value) in fields)
            {
                WriteField(json, fieldName, value);
            }

            json.WriteEndObject();
        }

        if (buffer.WrittenCount + 1 > MaxLineBytes)
        {
            buffer.ResetWrittenCount();
            using var json = new Utf8JsonWriter(buffer);
            Start(json, time, Cut(name, MaxKeyChars));
            json.WriteString("remote", Cut(origin.AddressText, MaxKeyChars));
            json.WriteBoolean("truncated", true);
            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
    }

    /// <summary>
    /// Writes a fold's line, <c>{"time": …, "event": …, "remote": …, "folded": N, "window_seconds": 10}</c>: N events of
    /// that name from that address were counted in the window that ended and not written.
    /// </summary>
    public static void Fold(ArrayBufferWriter<byte> buffer, DateTimeOffset time, SecurityEventFolder.Fold fold)
    {
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Start(json, time, Cut(fold.Name, MaxKeyChars));
            json.WriteString("remote", Cut(fold.Remote, MaxKeyChars));
            json.WriteNumber("folded", fold.Folded);
            json.WriteNumber("window_seconds", (int)SecurityEventFolder.Window.TotalSeconds);
            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
    }

    private static void Start(Utf8JsonWriter json, DateTimeOffset time, string name)
    {
        json.WriteStartObject();
        json.WriteString("time", time.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("event", name);
    }

    private static void WriteField(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case bool flag:
                json.WriteBoolean(name, flag);
                break;
            case int number:
                json.WriteNumber(name, number);
                break;
            case long number:
                json.WriteNumber(name, number);
                break;
            default:
                json.WriteString(name, Cut(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", MaxValueChars));
                break;
        }
    }

    /// <summary><paramref name="text"/>, or its first characters and … when longer than <paramref name="max"/> (a surrogate pair is not split).</summary>
    private static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        int keep = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return string.Concat(text.AsSpan(0, keep), "…");
    }
}
