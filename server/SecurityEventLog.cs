using System.Text.Json;

namespace Testbed.Server;

/// <summary>
/// The structured security-event log: one JSON object per line in <c>security-events.jsonl</c> in the data directory,
/// flushed per event so the replay lab and experiments can follow it live. Events carry ids (auth_key_id, msg_id,
/// session), transports and addresses — never key material. Thread-safe.
/// </summary>
public sealed class SecurityEventLog : IDisposable
{
    /// <summary>The file name inside the data directory.</summary>
    public const string FileName = "security-events.jsonl";

    private readonly StreamWriter _writer;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();

    /// <summary>Opens (appending to) the log in <paramref name="dataDirectory"/>.</summary>
    public SecurityEventLog(string dataDirectory, TimeProvider clock)
    {
        _clock = clock;
        var stream = new FileStream(Path.Combine(dataDirectory, FileName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        _writer = new StreamWriter(stream) { AutoFlush = true };
    }

    /// <summary>Appends one event: <c>{"time": …, "event": <paramref name="name"/>, …fields}</c>.</summary>
    public void Write(string name, IReadOnlyDictionary<string, object?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var entry = new Dictionary<string, object?>(fields.Count + 2)
        {
            ["time"] = _clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["event"] = name,
        };
        foreach ((string key, object? value) in fields)
        {
            entry[key] = value;
        }

        string line = JsonSerializer.Serialize(entry);
        lock (_lock)
        {
            _writer.WriteLine(line);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
