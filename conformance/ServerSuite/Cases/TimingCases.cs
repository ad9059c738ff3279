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

    /// <summary>
    /// The size of the timed message's data. A server that judges the length field before msg_key skips hashing the
    /// plaintext (MTProto 2.0's msg_key is SHA-256 over it, §2.2) for a garbled length only: the larger the message,
    /// the larger that difference (about 250 µs at SHA-256's 2 GB/s), against the same round-trip noise. Half the
    /// reference server's 1 MiB packet limit, so that any server with a smaller but sensible limit still takes it.
    /// </summary>
    public const int MessageDataLength = 512 * 1024;

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("TIM-001", "timing", Should,
            "Refusals for a wrong msg_key and for a garbled length field take the same time: the length is not judged before msg_key is checked.",
            "§2.4, §7 (length-before-MAC timing)",
            $"one {MessageDataLength / 1024} KiB message, {Samples} times with its last ciphertext block altered (layout intact, msg_key wrong) "
            + $"and {Samples} times with the block holding message_data_length altered, interleaved; response times compared",
            $"every refusal the same answer, on the same open connection (§2.4: one response for every failure), and a paired t-test on the "
            + $"trimmed differences within each pair: |t| < {Threshold} (in a second round of {Samples} pairs if the first is not)", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] sealedMessage = probe.SealPlaintext(probe.Session.NextHeader(true), MessageDataLength, new byte[MessageDataLength],
                    PaddingPolicy.MinimalLength(MessageDataLength));
                var rounds = new List<string>();
                for (int round = 1; round <= 2; round++)
                {
                    (string? failure, double t, string figures) = await MeasureAsync(probe, sealedMessage, c.Cancel);
                    if (failure is not null)
                    {
                        return CaseOutcome.Fail(failure);
                    }

                    rounds.Add($"round {round}: {figures}");
                    if (Math.Abs(t) < Threshold)
                    {
                        return CaseOutcome.Pass(string.Join("; ", rounds));
                    }
                }

                // A real leak shows in both rounds; a burst of noise (another process, a collection) seldom twice.
                return CaseOutcome.Fail(string.Join("; ", rounds));
            })
        {
            MeasuresTime = true,
            Passes = $"every one of the {2 * Samples} damaged copies of one {MessageDataLength / 1024} KiB message, sent one at a time on one "
                + $"connection, gets an answer within 5 s, all of them the same answer (transport error -404 from the reference server), "
                + $"and the paired t over the {Samples} differences (msg_key failure minus length failure, each pair sent back to back), "
                + $"10% trimmed at each end, has |t| < {Threshold}; when it does not, a second round of {Samples} pairs is measured and "
                + $"the case passes if that round's |t| < {Threshold}. Silence or a closed connection at any sample (nothing to time), two "
                + "different answers (an error oracle), or |t| at or above the threshold in both rounds fails. The case runs alone, after "
                + "the others. -429: not applicable.",
        },
    ];

    /// <summary>
    /// One round: <see cref="Samples"/> back-to-back pairs. A failure message when there is nothing to time or the answers
    /// differ; otherwise the paired t and the figures for the evidence.
    /// </summary>
    private static async Task<(string? Failure, double T, string Figures)> MeasureAsync(Probe probe, byte[] sealedMessage, CancellationToken cancel)
    {
        var badKey = new double[Samples];
        var badLength = new double[Samples];
        var answers = new HashSet<string>();
        for (int i = 0; i < Samples; i++)
        {
            // Alternate which kind goes first in each pair, so that neither always follows the other.
            bool keyFirst = i % 2 == 0;
            foreach (bool keyKind in (bool[])[keyFirst, !keyFirst])
            {
                (double time, Reply reply) = await TimeAsync(probe, sealedMessage, keyKind ? DamageLastBlock : DamageLengthBlock, cancel);
                if (reply.TimedOut || reply.Closed)
                {
                    // Nothing to time: a closed connection answers at once, silence after the wait, whatever the server does.
                    return ($"sample {i + 1}: {reply} to a {(keyKind ? "msg_key" : "length")} failure, so there is no response to time", 0, "");
                }

                (keyKind ? badKey : badLength)[i] = time;
                answers.Add(reply.ToString());
            }
        }

        if (answers.Count > 1)
        {
            return ($"the refusals differ, an error oracle before any timing: {string.Join("; ", answers)}", 0, "");
        }

        (double t, double meanDifference) = PairedT(badKey, badLength);
        return (null, t, $"every refusal: {answers.Single()}; medians: msg_key failures {Median(badKey):F1} µs, length failures "
            + $"{Median(badLength):F1} µs; mean difference per pair {meanDifference:F1} µs; paired t = {t:F2} (threshold {Threshold}, "
            + $"{Samples} pairs, 10% trimmed)");
    }

    /// <summary>
    /// In AES-IGE decryption a changed ciphertext block garbles its own plaintext block and every one after it, and
    /// nothing before (docs/protocol.md §2.3). The last block holds only padding and the data's tail, so the layout
    /// stays valid and only msg_key fails.
    /// </summary>
    private static void DamageLastBlock(byte[] wire) => wire[^1] ^= 1;

    /// <summary>The plaintext's second block holds seq_no and message_data_length (bytes 24–31); garbling it garbles the length.</summary>
    private static void DamageLengthBlock(byte[] wire) => wire[MessageEnvelope.WireHeaderSize + 16 + 12] ^= 0x40;

    private static async Task<(double Microseconds, Reply Reply)> TimeAsync(Probe probe, byte[] sealedMessage, Action<byte[]> damage, CancellationToken cancel)
    {
        byte[] wire = (byte[])sealedMessage.Clone();
        damage(wire);
        long started = Stopwatch.GetTimestamp();
        Reply reply = await probe.ExchangeAsync(wire, cancel);
        return (Stopwatch.GetElapsedTime(started).TotalMicroseconds, reply);
    }

    /// <summary>
    /// The t statistic of the differences within each pair, the slowest and fastest 10% dropped (scheduler noise). The
    /// two messages of a pair go back to back, so whatever slows the machine for a while (other cases, other
    /// processes) slows both and drops out of the difference, where two independent samples (Welch) would carry it.
    /// </summary>
    private static (double T, double MeanDifference) PairedT(double[] a, double[] b)
    {
        double[] sorted = [.. a.Zip(b, (x, y) => x - y).Order()];
        int cut = sorted.Length / 10;
        double[] kept = sorted[cut..^cut];
        double mean = kept.Average();
        double variance = kept.Sum(d => (d - mean) * (d - mean)) / (kept.Length - 1);
        double se = Math.Sqrt(variance / kept.Length);
        return (se == 0 ? 0 : mean / se, mean);
    }

    private static double Median(double[] samples) => samples.Order().ElementAt(samples.Length / 2);
}
