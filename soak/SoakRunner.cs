using System.Diagnostics;
using System.Net;

namespace Testbed.Soak;

/// <summary>
/// Runs one attack against a fresh server and judges it against issue 13's targets: the server never exits; a fresh
/// client handshakes and pings throughout (p99 ≤ 1 s where the scale judges latency); slowloris connections are closed
/// within the handshake step plus slack, and RSS stays under 300 MiB meanwhile; afterwards RSS returns within 1.5× of
/// the baseline and descriptors to the baseline (± <see cref="DescriptorSlack"/>); and the attack's own checks.
/// </summary>
internal static class SoakRunner
{
    /// <summary>
    /// Descriptors the server may hold above its baseline afterwards: the probe's connection closing at the moment
    /// of reading, a log file rotated, the runtime's own growth (a thread's eventfd, the epoll set of a new socket
    /// engine). Each held attacker connection is one descriptor, so a leak of even 1 % of any attack exceeds it.
    /// </summary>
    public const int DescriptorSlack = 8;

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
        Gauge? after = server.HasExited ? null : await RecoveredAsync(server.ProcessId, before, TimeSpan.FromSeconds(scale.AfterPatienceSeconds));
        bool exited = server.HasExited; // during the attack or while it recovered
        await server.StopAsync();
        attack.JudgeAfterStop(context);

        var failures = new List<string>();
        if (exited)
        {
            failures.Add($"server exited with code {server.ExitCode}{LastWords(server)}");
        }

        if (probe.Succeeded < probe.Total || probe.Total == 0)
        {
            failures.Add($"victim {probe.Succeeded}/{probe.Total}: {probe.FirstFailure}");
        }

        if (scale.JudgesLatency && probe.P99Milliseconds > P99LimitMilliseconds)
        {
            failures.Add($"victim p99 {probe.P99Milliseconds:0} ms > 1 s");
        }

        if (attack.IsSlowloris && tracked > 0 && (stillOpen > 0 || longestOpen > scale.CloseLimit))
        {
            failures.Add($"{stillOpen} of {tracked} connections still open after {longestOpen.TotalSeconds:0} s (limit {scale.CloseLimit.TotalSeconds:0} s)");
        }

        if (attack.IsSlowloris && peak.RssMiB >= SlowlorisRssLimitMiB)
        {
            failures.Add($"RSS peak {peak.RssMiB:0} MiB ≥ {SlowlorisRssLimitMiB} MiB");
        }

        if (after is { } a && !Recovered(before, a))
        {
            failures.Add($"not recovered in {scale.AfterPatienceSeconds} s (RSS {a.RssMiB:0}/{before.RssMiB:0} MiB, fds {a.Descriptors}/{before.Descriptors})");
        }

        failures.AddRange(context.Failures);
        return new SoakRow(attack.Name, attack.Size(scale), before, peak, after, probe.Succeeded, probe.Total, probe.P99Milliseconds,
            tracked > 0 ? longestOpen : null, stillOpen, failures, context.Notes);
    }

    private static bool Recovered(Gauge before, Gauge now) =>
        now.RssMiB <= RssRecovery * before.RssMiB && now.Descriptors <= before.Descriptors + DescriptorSlack;

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
