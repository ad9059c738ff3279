using System.Diagnostics;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>Timing side channels (docs/protocol.md §2.4, §7).</summary>
internal static class TimingCases
{
    /// <summary>Samples per kind of failure, interleaved.</summary>
    public const int Samples = 150;

    /// <summary>|t| at or above this is a distinguishable difference.</summary>
    public const double Threshold = 5.0;

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("TIM-001", "timing", Should,
            "Refusals for a wrong msg_key and for a garbled length field take the same time: the length is not read before msg_key is checked.",
            "§2.4, §7 (length-before-MAC timing)",
            $"{Samples} messages with msg_key altered and {Samples} with the first ciphertext block altered, interleaved; response times compared",
            $"every refusal the same answer, on the same open connection (§2.4: one response for every failure), and Welch's t-test on the "
            + $"trimmed response times: |t| < {Threshold}", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                var badKey = new List<double>(Samples);
                var badLength = new List<double>(Samples);
                var answers = new HashSet<string>();
                for (int i = 0; i < Samples; i++)
                {
                    foreach ((List<double> samples, Action<byte[]> damage) in new[]
                        { (badKey, (Action<byte[]>)(w => w[8] ^= 1)), (badLength, w => w[MessageEnvelope.WireHeaderSize + 3] ^= 0x40) })
                    {
                        (double time, Reply reply) = await TimeAsync(probe, damage, c.Cancel);
                        if (reply.TimedOut || reply.Closed)
                        {
                            // Nothing to time: a closed connection answers at once, silence after the wait, whatever the server does.
                            return CaseOutcome.Fail($"sample {i + 1}: {reply} to a {(samples == badKey ? "msg_key" : "length")} failure, so there is no response to time");
                        }

                        samples.Add(time);
                        answers.Add(reply.ToString());
                    }
                }

                if (answers.Count > 1)
                {
                    return CaseOutcome.Fail($"the refusals differ, an error oracle before any timing: {string.Join("; ", answers)}");
                }

                (double t, double meanKey, double meanLength) = Welch(Trim(badKey), Trim(badLength));
                return CaseOutcome.Check(Math.Abs(t) < Threshold,
                    $"every refusal: {answers.Single()}; msg_key failures: mean {meanKey:F1} µs; length failures: mean {meanLength:F1} µs; Welch t = {t:F2} (threshold {Threshold}, {Samples} samples each, 10% trimmed)");
            })
        {
            Passes = $"every one of the {2 * Samples} damaged messages, sent one at a time on one connection, gets an answer within 5 s, all of "
                + $"them the same answer (transport error -404 from the reference server), and Welch's t over the two kinds' response "
                + $"times, 10% trimmed at each end, has |t| < {Threshold}. Silence or a closed connection at any sample (nothing to time), "
                + "two different answers (an error oracle), or |t| at or above the threshold fails. -429: not applicable.",
        },
    ];

    private static async Task<(double Microseconds, Reply Reply)> TimeAsync(Probe probe, Action<byte[]> damage, CancellationToken cancel)
    {
        byte[] wire = probe.Seal(Probe.Ping(1), out _);
        damage(wire);
        long started = Stopwatch.GetTimestamp();
        Reply reply = await probe.ExchangeAsync(wire, cancel);
        return (Stopwatch.GetElapsedTime(started).TotalMicroseconds, reply);
    }

    /// <summary>Drops the slowest and fastest 10% (scheduler noise).</summary>
    private static double[] Trim(List<double> samples)
    {
        double[] sorted = [.. samples.Order()];
        int cut = sorted.Length / 10;
        return sorted[cut..^cut];
    }

    private static (double T, double MeanA, double MeanB) Welch(double[] a, double[] b)
    {
        double meanA = a.Average(), meanB = b.Average();
        double varA = a.Sum(x => (x - meanA) * (x - meanA)) / (a.Length - 1);
        double varB = b.Sum(x => (x - meanB) * (x - meanB)) / (b.Length - 1);
        double se = Math.Sqrt((varA / a.Length) + (varB / b.Length));
        return (se == 0 ? 0 : (meanA - meanB) / se, meanA, meanB);
    }
}
