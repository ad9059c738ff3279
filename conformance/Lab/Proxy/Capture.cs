using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>
/// One line of a capture: a packet the proxy saw (and what it did with it), or a connection opening or closing.
/// <see cref="Payload"/> is the frame's payload as on the wire: ciphertext, or a 4-byte transport error.
/// </summary>
/// <param name="TimeMicros">Microseconds since the capture started.</param>
/// <param name="Connection">The proxied connection, numbered from 1.</param>
/// <param name="Event">open, close, forwarded, dropped, delayed, held, released, duplicated, replayed, modified or injected.</param>
/// <param name="Direction">For packets: which way it went.</param>
/// <param name="Index">For packets: its number on the connection in that direction, from 1 (0 for injected ones).</param>
/// <param name="Detail">For open: the transport and framing; otherwise free text.</param>
/// <param name="Payload">For packets: the bytes.</param>
public sealed record CaptureRecord(long TimeMicros, int Connection, string Event, PacketDirection? Direction, int Index, string? Detail, byte[]? Payload);

/// <summary>
/// The proxy's record of a session: kept in memory for experiments (unless told not to: a long-running proxy must
/// not grow without bound) and, when a path is given, written as it happens
/// to a capture file in the documented format (docs/lab.md): JSON Lines, a header line
/// <c>{"format":"mtproto-testbed-capture","version":1,...}</c>, then one <see cref="CaptureRecord"/> per line.
/// </summary>
public sealed class Capture : IDisposable
{
    /// <summary>The value of the header line's "format" field.</summary>
    public const string FormatName = "mtproto-testbed-capture";

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<CaptureRecord> _records = [];
    private readonly StreamWriter? _file;
    private readonly Lock _lock = new();
    private readonly bool _keepInMemory;
    private bool _closed;
    private long _packets;

    /// <summary>Starts a capture, writing to <paramref name="path"/> when it is given.</summary>
    /// <param name="path">The capture file, or null for memory only.</param>
    /// <param name="listen">Where the proxy listens (for the header line).</param>
    /// <param name="upstream">The server (for the header line).</param>
    /// <param name="keepInMemory">Whether <see cref="Records"/> keeps every record (experiments read it back).</param>
    public Capture(string? path, string listen, string upstream, bool keepInMemory = true)
    {
        _keepInMemory = keepInMemory;
        if (path is null)
        {
            return;
        }

        _file = new StreamWriter(path) { AutoFlush = true };
        var header = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = 1,
            ["started"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["listen"] = listen,
            ["upstream"] = upstream,
        };
        _file.WriteLine(header.ToJsonString());
    }

    /// <summary>Everything recorded so far.</summary>
    public IReadOnlyList<CaptureRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    /// <summary>How many packet events were recorded.</summary>
    public long PacketCount => Interlocked.Read(ref _packets);

    /// <summary>The packets recorded so far going <paramref name="direction"/> (on <paramref name="connection"/>, when given) with <paramref name="event"/>.</summary>
    public IReadOnlyList<CaptureRecord> Packets(PacketDirection direction, int? connection = null, string @event = "forwarded") =>
        [.. Records.Where(r => r.Direction == direction && r.Event == @event && (connection is null || r.Connection == connection))];

    /// <summary>Records one event.</summary>
    public CaptureRecord Add(int connection, string @event, PacketDirection? direction = null, int index = 0, string? detail = null, byte[]? payload = null)
    {
        var record = new CaptureRecord(_clock.Elapsed.Ticks / 10, connection, @event, direction, index, detail, payload);
        lock (_lock)
        {
            if (_keepInMemory)
            {
                _records.Add(record);
            }

            _packets += payload is null ? 0 : 1;
            if (!_closed)
            {
                _file?.WriteLine(ToJson(record).ToJsonString());
            }
        }

        return record;
    }

    /// <summary>One record as a JSON object; encrypted payloads also show their auth_key_id and msg_key.</summary>
    public static JsonObject ToJson(CaptureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var json = new JsonObject { ["t_us"] = record.TimeMicros, ["conn"] = record.Connection, ["event"] = record.Event };
        if (record.Direction is { } direction)
        {
            json["dir"] = direction == PacketDirection.ClientToServer ? "c2s" : "s2c";
            json["index"] = record.Index;
        }

        if (record.Detail is not null)
        {
            json["detail"] = record.Detail;
        }

        if (record.Payload is { } payload)
        {
            json["length"] = payload.Length;
            if (payload.Length >= 24 && BinaryPrimitives.ReadInt64LittleEndian(payload) != 0)
            {
                json["auth_key_id"] = AuthKey.FormatId(BinaryPrimitives.ReadInt64LittleEndian(payload));
                json["msg_key"] = Convert.ToHexStringLower(payload.AsSpan(8, 16));
            }

            json["payload"] = Convert.ToHexStringLower(payload);
        }

        return json;
    }

    /// <summary>Reads a capture file back; a clear message for anything that is not one.</summary>
    public static IReadOnlyList<CaptureRecord> Read(string path)
    {
        var records = new List<CaptureRecord>();
        using StreamReader reader = File.OpenText(path);
        JsonNode? header = JsonNode.Parse(reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty"));
        if ((string?)header?["format"] != FormatName)
        {
            throw new InvalidDataException($"{path} is not a {FormatName} file (its first line has no \"format\": \"{FormatName}\")");
        }

        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            try
            {
                JsonNode node = JsonNode.Parse(text) ?? throw new InvalidDataException("an empty line");
                PacketDirection? direction = (string?)node["dir"] switch { "c2s" => PacketDirection.ClientToServer, "s2c" => PacketDirection.ServerToClient, _ => null };
                records.Add(new CaptureRecord(
                    (long?)node["t_us"] ?? throw new InvalidDataException("no t_us"),
                    (int?)node["conn"] ?? throw new InvalidDataException("no conn"),
                    (string?)node["event"] ?? throw new InvalidDataException("no event"),
                    direction,
                    (int?)node["index"] ?? 0, (string?)node["detail"], node["payload"] is { } hex ? Convert.FromHexString((string)hex!) : null));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}:{line}: not a capture record ({e.Message})", e);
            }
        }

        return records;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true; // connections still closing after this are kept in memory only
            _file?.Dispose();
        }
    }
}
