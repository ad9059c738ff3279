using System.Diagnostics;
using System.Net;

namespace Testbed.Soak;

/// <summary>
/// Runs one attack against a fresh server and judges it against issue 13's targets: the server never exits; a fresh
/// client handshakes and pings throughout (p99 ≤ 1 s where the scale judges latency); slowloris connections are closed
/// within the handshake step plus slack, and RSS stays under 300 MiB meanwhile; afterwards RSS returns within 1.5× of
/// the baseline and socket descriptors to the baseline (± <see cref="SocketSlack"/>); and the attack's own checks.
/// </summary>
internal static class SoakRunner
{
    /// <summary>
    /// Sockets the server may hold above its baseline afterwards: the probe's last connection, closing at the moment
    /// of reading, on either side. Only sockets are judged: what else the server opens under load stays bounded and is
    /// not the attack's — the runtime maps assemblies it loads for good (a stack trace's first formatting loads
    /// three), and SQLite's connection pool keeps the database and its WAL open per connection it grew to. The table
    /// shows all descriptors, and a row that does not recover names the kinds it gained.
    /// </summary>
    public const int SocketSlack = 2;

    private const double SlowlorisRssLimitMiB = 300;
    private const double RssRecovery = 1.5;
    private const double P99LimitMilliseconds = 1000;
    private static readonly TimeSpan AttackBound = TimeSpan.FromMinutes(4);

    public static async Task<SoakRow> RunAsync(IAttack attack, SoakScale scale)
    {
        await using ServerUnderTest server = await ServerUnderTest.StartAsync(scale.ServerDescriptorLimit, scale.ServerSettings());
        var probe = new VictimProbe(server, IPAddress.Loopback);
        await probe.AttemptAsync(handshake: true); // the baseline includes a served client
        Gauge before = ProcessGauge.Read(server.ProcessId) ?? throw new InvalidOperationException("the server is gone before the attack");
        IReadOnlyList<string> descriptorsBefore = ProcessGauge.DescriptorKinds(server.ProcessId);
        using var context = new AttackContext(server, scale);
        Gauge peak;
        using (var stopProbe = new CancellationTokenSource())
        {
            await using var sampler = new PeakSampler(server.ProcessId, before);
            Task probing = probe.RunAsync(stopProbe.Token);
            using (var bound = new CancellationTokenSource(AttackBound))
            {
                await attack.RunAsync(context, bound.Token);
            }

            await stopProbe.CancelAsync();
            await probing;
            peak = sampler.Peak;
        }

        TimeSpan longestOpen = context.Ledger.LongestOpen;
        int stillOpen = context.Ledger.StillOpen, tracked = context.Ledger.Count;
        context.Ledger.Dispose();
        Gauge? after = server.HasExited ? null : await RecoveredAsync(server.ProcessId, before, TimeSpan.FromSeconds(SoakScale.AfterPatienceSeconds));
        bool exited = after is null && await server.HasEndedAsync(); // during the attack or while it recovered
        if (after is { } gained && gained.Sockets > before.Sockets + SocketSlack)
        {
            context.Note($"descriptors gained: {DescriptorsGained(descriptorsBefore, ProcessGauge.DescriptorKinds(server.ProcessId))}");
        }

        await server.StopAsync();
        attack.JudgeAfterStop(context);

        var failures = new List<string>();
        if (exited)
        {
            failures.Add($"server exited with code {server.ExitCode}{LastWords(server)}");
        }
        else if (after is null)
        {
            failures.Add("the server's /proc entry could not be read after the attack");
        }

        if (probe.Succeeded < probe.Total || probe.Total == 0)
        {
            failures.Add($"victim {probe.Succeeded}/{probe.Total}: {probe.FirstFailure}");
        }

        if (scale.JudgesLatency && probe.P99Milliseconds > P99LimitMilliseconds)
        {
            failures.Add($"victim p99 {probe.P99Milliseconds:0} ms > 1 s");
        }

        if (attack.IsSlowloris && stillOpen > 0)
        {
            failures.Add($"{stillOpen} of {tracked} connections still open after {longestOpen.TotalSeconds:0} s (limit {scale.CloseLimit.TotalSeconds:0} s)");
        }
        else if (attack.IsSlowloris && longestOpen > scale.CloseLimit)
        {
            failures.Add($"connections open up to {longestOpen.TotalSeconds:0.0} s (limit {scale.CloseLimit.TotalSeconds:0} s)");
        }

        if (attack.IsSlowloris && peak.RssMiB >= SlowlorisRssLimitMiB)
        {
            failures.Add($"RSS peak {peak.RssMiB:0} MiB ≥ {SlowlorisRssLimitMiB} MiB");
        }

        if (after is { } a && !Recovered(before, a))
        {
            failures.Add($"not recovered in {SoakScale.AfterPatienceSeconds} s (RSS {a.RssMiB:0}/{before.RssMiB:0} MiB, sockets {a.Sockets}/{before.Sockets})");
        }

        failures.AddRange(context.Failures);
        return new SoakRow(attack.Name, attack.Size(scale), before, peak, after, probe.Succeeded, probe.Total, probe.P99Milliseconds,
            tracked > 0 ? longestOpen : null, stillOpen, failures, context.Notes);
    }

    /// <summary>The kinds of descriptor held now beyond those held before, most first: "12 × /…/testbed.db-wal, 3 × socket:".</summary>
    private static string DescriptorsGained(IReadOnlyList<string> before, IReadOnlyList<string> now)
    {
        var held = before.CountBy(k => k).ToDictionary();
        return string.Join(", ", now.CountBy(k => k)
            .Select(kind => (kind.Key, Gained: kind.Value - held.GetValueOrDefault(kind.Key)))
            .Where(kind => kind.Gained > 0).OrderByDescending(kind => kind.Gained).Take(4)
            .Select(kind => $"{kind.Gained} × {kind.Key}"));
    }

    private static bool Recovered(Gauge before, Gauge now) =>
        now.RssMiB <= RssRecovery * before.RssMiB && now.Sockets <= before.Sockets + SocketSlack;

    /// <summary>Polls every 500 ms until the server is back to its baseline or <paramref name="patience"/> passes; the last reading.</summary>
    private static async Task<Gauge?> RecoveredAsync(int processId, Gauge before, TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        Gauge? now = ProcessGauge.Read(processId);
        while (now is { } reading && !Recovered(before, reading) && waited.Elapsed < patience)
        {
            await Task.Delay(500);
            now = ProcessGauge.Read(processId);
        }

        return now;
    }

    private static string LastWords(ServerUnderTest server) =>
        server.Output.LastOrDefault(l => !string.IsNullOrWhiteSpace(l)) is { } line ? $" (last line: {(line.Trim() is { Length: > 80 } text ? text[..80] + "…" : line.Trim())})" : "";
}
