using System.Net;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Testbed.Server.Tests;

/// <summary>
/// The bounded security-event log (docs/server.md, "Bounded security log"): folding per kind and source, the line and
/// byte bounds, rotation, and that the lines written and the folded counts add up to the events reported.
/// </summary>
public sealed class SecurityEventLogTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Kinds = ["handshake_refused", "decryption_refused", "unknown_auth_key", "connection_closed"];
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("security-log-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string LogPath => Path.Combine(_directory.FullName, SecurityEventLog.FileName);

    private static PacketOrigin Source(int index) => new("tcp", IPAddress.Parse($"127.0.0.{index + 1}"));

    private SecurityEventLog Open(ManualClock clock, long maxBytes = 16L << 20, int files = 4, ILogger? log = null) =>
        new(_directory.FullName, clock, log ?? NullLogger.Instance, maxBytes, files);

    private JsonElement[] Lines() => File.ReadAllLines(LogPath).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    [Fact]
    public void An_event_is_written_in_full_at_once_with_its_fields()
    {
        var clock = new ManualClock(Start);
        using SecurityEventLog log = Open(clock);
        Assert.True(log.Write("handshake_refused", Source(0), ("code", -404), ("reason", "malformed unencrypted message"), ("msgId", 12L)));

        // The same text as the log's lines before folding, which were a serialized dictionary.
        string line = Assert.Single(File.ReadAllLines(LogPath));
        Assert.Equal(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["time"] = "2026-01-01T12:00:00.0000000+00:00", ["event"] = "handshake_refused", ["transport"] = "tcp", ["remote"] = "127.0.0.1",
            ["code"] = -404, ["reason"] = "malformed unencrypted message", ["msgId"] = 12L,
        }), line);
    }

    [Fact]
    public void Events_past_the_full_lines_of_a_kind_and_source_are_one_folded_line_when_the_window_ends()
    {
        var clock = new ManualClock(Start);
        var stdout = new ListLogger();
        using SecurityEventLog log = Open(clock, log: stdout);
        int extra = 5;
        bool[] written = Enumerable.Range(0, SecurityEventFolder.FullLinesPerKey + extra).Select(_ => log.Write("decryption_refused", Source(0))).ToArray();
        Assert.True(log.Write("decryption_refused", Source(1))); // another source has its own full lines
        Assert.Equal(SecurityEventFolder.FullLinesPerKey, written.Count(w => w));
        Assert.Equal(SecurityEventFolder.FullLinesPerKey + 1, Lines().Length);

        clock.Advance(SecurityEventFolder.Window); // the timer, not a later write, ends the window
        JsonElement fold = Lines()[^1];
        Assert.Equal(("decryption_refused", "127.0.0.1", extra, 10), (fold.GetProperty("event").GetString(), fold.GetProperty("remote").GetString(),
            fold.GetProperty("folded").GetInt32(), fold.GetProperty("window_seconds").GetInt32()));
        Assert.Equal(SecurityEventFolder.FullLinesPerKey + 2, Lines().Length);
        Assert.Equal("decryption_refused x5 more from 127.0.0.1 in the last 10 s, counted in security-events.jsonl and not logged one by one", Assert.Single(stdout.Lines));

        Assert.True(log.Write("decryption_refused", Source(0))); // a new window writes in full again
    }

    [Fact]
    public void Disposing_writes_the_open_windows_folds()
    {
        var clock = new ManualClock(Start);
        using (SecurityEventLog log = Open(clock))
        {
            for (int i = 0; i < SecurityEventFolder.FullLinesPerKey + 3; i++)
            {
                log.Write("unknown_auth_key", Source(0));
            }
        }

        Assert.Equal(3, Lines()[^1].GetProperty("folded").GetInt32());
    }

    [Fact]
    public void Sources_past_the_key_cap_share_one_others_key_per_event()
    {
        var clock = new ManualClock(Start);
        int sources = SecurityEventFolder.MaxSourceKeys + 20;
        using (SecurityEventLog log = Open(clock))
        {
            for (int i = 0; i < sources * 10; i++)
            {
                log.Write("handshake_refused", Source(i % sources), ("code", -429));
            }
        }

        JsonElement[] lines = Lines();
        JsonElement[] full = lines.Where(l => !l.TryGetProperty("folded", out _)).ToArray();
        Assert.Equal((SecurityEventFolder.MaxSourceKeys * 10) + SecurityEventFolder.FullLinesPerKey, full.Length);
        JsonElement others = Assert.Single(lines, l => l.GetProperty("remote").GetString() == SecurityEventFolder.Others);
        Assert.Equal((20 * 10) - SecurityEventFolder.FullLinesPerKey, others.GetProperty("folded").GetInt32());
    }

    [Fact]
    public void A_flood_stays_within_the_stated_bound_and_its_counts_add_up()
    {
        // 100 000 events of four kinds from three sources over 60 s: about 1 700 a second, as a flood from one client.
        var clock = new ManualClock(Start);
        var reported = new Dictionary<(string, string), long>();
        const int Events = 100_000;
        var step = TimeSpan.FromMilliseconds(0.6);
        using (SecurityEventLog log = Open(clock))
        {
            for (int i = 0; i < Events; i++)
            {
                (string kind, PacketOrigin source) = (Kinds[i % Kinds.Length], Source(i / 7 % 3));
                log.Write(kind, source, ("detail", "bad length or padding, found before msg_key (fault)"));
                reported[(kind, source.AddressText)] = reported.GetValueOrDefault((kind, source.AddressText)) + 1;
                clock.Advance(step);
            }
        }

        // Windows open at an event and last 10 s: a span of D seconds meets at most D / 10 + 1 of them.
        int windows = (int)((Events * step).TotalSeconds / SecurityEventFolder.Window.TotalSeconds) + 1;
        long bound = (long)windows * reported.Count * (SecurityEventFolder.FullLinesPerKey + 1) * SecurityEventLine.MaxLineBytes;
        long written = _directory.GetFiles().Sum(f => f.Length); // rotated files too
        Assert.True(written <= bound, $"{written} bytes written, above the bound of {bound}");
        Assert.Single(_directory.GetFiles()); // the bound is far below a rotation: all lines are in one file
        Assert.Equal(reported, Tally(Lines()));
        Assert.All(File.ReadAllLines(LogPath), l => Assert.True(l.Length + 1 <= SecurityEventLine.MaxLineBytes));
    }

    [Fact]
    public void Rotation_keeps_the_stated_number_of_files_each_within_the_size()
    {
        var clock = new ManualClock(Start);
        const int MaxBytes = 4096;
        const int Files = 3;
        string last = "";
        using (SecurityEventLog log = Open(clock, MaxBytes, Files))
        {
            for (int i = 0; i < 400; i++)
            {
                last = $"event {i}";
                log.Write("message_refused", Source(0), ("detail", last));
                clock.Advance(TimeSpan.FromSeconds(1)); // ten a window: none folded
            }
        }

        string[] kept = [.. Directory.GetFiles(_directory.FullName).Select(Path.GetFileName).Order()!];
        Assert.Equal([SecurityEventLog.FileName, SecurityEventLog.FileName + ".1", SecurityEventLog.FileName + ".2"], kept);
        Assert.All(kept, f => Assert.InRange(new FileInfo(Path.Combine(_directory.FullName, f)).Length, 1, MaxBytes));
        Assert.Equal(last, Lines()[^1].GetProperty("detail").GetString());
        string[] older = File.ReadAllLines(LogPath + ".1");
        int next = int.Parse(JsonDocument.Parse(older[^1]).RootElement.GetProperty("detail").GetString()!["event ".Length..], System.Globalization.CultureInfo.InvariantCulture) + 1;
        Assert.Equal($"event {next}", Lines()[0].GetProperty("detail").GetString()); // nothing lost between the files
    }

    [Fact]
    public void A_line_is_never_longer_than_the_bound()
    {
        var clock = new ManualClock(Start);
        using (SecurityEventLog log = Open(clock))
        {
            log.Write("message_refused", Source(0), ("detail", new string('x', 5000)));
            log.Write("message_refused", Source(0), [.. Enumerable.Range(0, 20).Select(i => ($"field{i}", (object?)new string('<', 5000)))]);
        }

        JsonElement[] lines = Lines();
        Assert.Equal(SecurityEventLine.MaxValueChars, lines[0].GetProperty("detail").GetString()!.Length);
        Assert.True(lines[1].GetProperty("truncated").GetBoolean());
        Assert.All(File.ReadAllLines(LogPath), l => Assert.True(l.Length + 1 <= SecurityEventLine.MaxLineBytes, $"a line of {l.Length} bytes"));
    }

    // Bursts of events of the four kinds from up to 40 sources (more than the key cap), with gaps of up to 3 s.
    private static readonly Gen<(int Kind, int Source, int Burst, int GapMillis)[]> Sequences =
        Gen.ListOf(
            from kind in Gen.Choose(0, Kinds.Length - 1)
            from source in Gen.Frequency((4, Gen.Choose(0, 2)), (1, Gen.Choose(0, 39)))
            from burst in Gen.Frequency((3, Gen.Choose(1, 3)), (1, Gen.Choose(1, 40)))
            from gap in Gen.Choose(0, 3000)
            select (kind, source, burst, gap)).Select(l => l.ToArray());

    [Property(MaxTest = 200)]
    public Property Lines_written_and_folded_counts_add_up_to_the_events_reported_per_kind() =>
        Prop.ForAll(Sequences.ToArbitrary(), sequence =>
        {
            var clock = new ManualClock(Start);
            string directory = Directory.CreateTempSubdirectory("security-log-").FullName;
            try
            {
                using (var log = new SecurityEventLog(directory, clock, NullLogger.Instance, 16L << 20, 4))
                {
                    foreach ((int kind, int source, int burst, int gap) in sequence)
                    {
                        for (int i = 0; i < burst; i++)
                        {
                            log.Write(Kinds[kind], Source(source));
                        }

                        clock.Advance(TimeSpan.FromMilliseconds(gap));
                    }
                }

                var lines = File.ReadAllLines(Path.Combine(directory, SecurityEventLog.FileName)).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
                Dictionary<string, long> counted = Tally(lines).GroupBy(e => e.Key.Kind).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
                Dictionary<string, long> reported = sequence.GroupBy(e => Kinds[e.Kind]).ToDictionary(g => g.Key, g => (long)g.Sum(e => e.Burst));
                return (counted.Count == reported.Count && counted.All(c => reported[c.Key] == c.Value)).Label($"counted {string.Join(", ", counted)}; reported {string.Join(", ", reported)}");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        });

    /// <summary>Events per kind and source that the lines account for: one per full line, N per folded line.</summary>
    private static Dictionary<(string Kind, string Source), long> Tally(IEnumerable<JsonElement> lines) =>
        lines.GroupBy(l => (l.GetProperty("event").GetString()!, l.GetProperty("remote").GetString()!))
            .ToDictionary(g => g.Key, g => g.Sum(l => l.TryGetProperty("folded", out JsonElement folded) ? folded.GetInt64() : 1));

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
