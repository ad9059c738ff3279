using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// The length-before-MAC oracle, attack 3 of Albrecht et al. 2022 (docs/protocol.md §2.4, §7): packets whose
/// plaintext, decrypted under the msg_key they carry, has a plausible layout but a wrong msg_key, against packets whose
/// plaintext has an impossible length. A server that reads the length before it checks msg_key answers the two
/// differently — with a different error, or later or sooner — and so tells an attacker something about plaintext it
/// cannot decrypt. The experiment measures the answer and its time for both, interleaved at random.
/// </summary>
internal sealed class TimingOracleExperiment() : LabExperiment(
    "timing-oracle",
    "Length-before-MAC timing and error oracle (2022 attack 3)",
    "length-before-mac",
    "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 3",
    "Two classes of packets under the experiment's auth key, each with a random msg_key and a ciphertext made so that it "
        + "decrypts, under the keys that msg_key derives, to a chosen plaintext: class A has a well-formed plaintext (so only "
        + "msg_key is wrong), class B the same with message_data_length set far beyond the packet (so the length is wrong too). "
        + "Each sample opens a TCP connection directly to the server (not through the proxy, whose own delay would add noise), "
        + "sends one packet and times the answer from the send to the first byte back. Samples of the two classes are interleaved "
        + "at random. The attack worked when the answers differ, or when the times differ: a Mann-Whitney U test with "
        + $"p < 0.001 and medians more than {MinimumEffect.TotalMicroseconds} µs apart.")
{
    // A difference in medians below this is within what the loopback network and the scheduler add on this machine.
    private static readonly TimeSpan MinimumEffect = TimeSpan.FromMicroseconds(5);

    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        int perClass = lab.Budget == LabBudget.Small ? 150 : 2000;
        using var key = AuthKey.FromBytes(lab.Key.Key);
        bool[] order = [.. Enumerable.Repeat(false, perClass).Concat(Enumerable.Repeat(true, perClass))];
        RandomNumberGenerator.Shuffle(order.AsSpan());
        var times = new List<double>[] { [], [] };
        var answers = new Dictionary<string, int>[] { [], [] };
        for (int warm = 0; warm < 20; warm++)
        {
            await SampleAsync(lab, BadMsgKeyPacket(key, badLength: warm % 2 == 1), cancel); // JIT and connection paths warmed
        }

        foreach (bool badLength in order)
        {
            (double micros, string answer) = await SampleAsync(lab, BadMsgKeyPacket(key, badLength), cancel);
            int cls = badLength ? 1 : 0;
            times[cls].Add(micros);
            answers[cls][answer] = answers[cls].GetValueOrDefault(answer) + 1;
        }

        string[] names = ["A: msg_key wrong, layout fine", "B: msg_key wrong, length impossible"];
        for (int cls = 0; cls < 2; cls++)
        {
            double[] sorted = [.. times[cls].Order()];
            result.Data[cls == 0 ? "class_a" : "class_b"] = new JsonObject
            {
                ["name"] = names[cls],
                ["samples"] = sorted.Length,
                ["answers"] = new JsonObject([.. answers[cls].Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))]),
                ["median_us"] = Quantile(sorted, 0.5),
                ["p10_us"] = Quantile(sorted, 0.1),
                ["p90_us"] = Quantile(sorted, 0.9),
                ["mean_us"] = sorted.Average(),
                ["times_us"] = new JsonArray([.. times[cls].Select(t => (JsonNode)Math.Round(t, 2))]),
            };
        }

        string answersA = Describe(answers[0]), answersB = Describe(answers[1]);
        bool answersDiffer = !answers[0].Keys.Order().SequenceEqual(answers[1].Keys.Order());
        result.Add("the answers", answersDiffer ? "differ" : "identical", answersDiffer, $"A: {answersA}; B: {answersB}");

        double medianA = Quantile([.. times[0].Order()], 0.5), medianB = Quantile([.. times[1].Order()], 0.5);
        (double z, double p) = MannWhitney(times[0], times[1]);
        bool timingDiffers = p < 0.001 && Math.Abs(medianA - medianB) > MinimumEffect.TotalMicroseconds;
        result.Add("the response times", timingDiffers ? "differ" : "indistinguishable", timingDiffers,
            $"median A {medianA:F1} µs, B {medianB:F1} µs (Δ {medianB - medianA:F1} µs); Mann-Whitney z = {z:F2}, p = {p:G3}; {perClass} samples per class");
        result.Data["mann_whitney"] = new JsonObject { ["z"] = z, ["p"] = p };
        result.Notes.Add("Times are from sending the packet to the first byte of the answer, on loopback, with client and server on the same 2 cores; "
            + "they include the network stack and the scheduler, so only a difference between the classes means anything.");
        result.Plots.Add(new LabPlot("response-times", "Empirical CDF of the response time, per class", plot =>
        {
            for (int cls = 0; cls < 2; cls++)
            {
                double[] sorted = [.. times[cls].Order()];
                double[] ys = [.. sorted.Select((_, i) => (i + 1.0) / sorted.Length)];
                var line = plot.Add.Scatter(sorted, ys);
                line.LegendText = $"{names[cls]} (median {Quantile(sorted, 0.5):F0} µs)";
                line.MarkerSize = 0;
                line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
            }

            plot.Axes.SetLimitsX(0, Quantile([.. times[0].Concat(times[1]).Order()], 0.98) * 1.1);
            plot.XLabel("time to the answer (µs)");
            plot.YLabel("fraction of samples");
            plot.Title($"Timing oracle: {lab.Server.Description}");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        }));
    }

    /// <summary>
    /// A packet with a random msg_key whose ciphertext decrypts, under that msg_key's keys, to a plaintext with the
    /// session's header fields, a ping, and correct padding — and, for class B, a message_data_length far too large.
    /// </summary>
    private static byte[] BadMsgKeyPacket(AuthKey key, bool badLength)
    {
        byte[] plaintext = new byte[64];
        RandomNumberGenerator.Fill(plaintext);
        BinaryPrimitives.WriteInt32LittleEndian(plaintext.AsSpan(28), badLength ? 0x7ffffff0 : 12);
        byte[] wire = new byte[MessageEnvelope.WireHeaderSize + plaintext.Length];
        key.WriteId(wire);
        Span<byte> msgKey = wire.AsSpan(8, MessageKey.Size);
        RandomNumberGenerator.Fill(msgKey);
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(key, MessageDirection.ClientToServer, msgKey, aesKey, aesIv);
        AesIge.Encrypt(aesKey, aesIv, plaintext, wire.AsSpan(MessageEnvelope.WireHeaderSize));
        return wire;
    }

    private static async Task<(double Micros, string Answer)> SampleAsync(LabSession lab, byte[] packet, CancellationToken cancel)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(lab.Server.Tcp.Host, lab.Server.Tcp.Port, cancel);
        NetworkStream stream = client.GetStream();
        var writer = new FrameWriter(TransportFraming.Intermediate);
        byte[] frame = [.. FramingDetector.Marker(TransportFraming.Intermediate), .. writer.Frame(packet)];
        byte[] answer = new byte[64];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        long started = Stopwatch.GetTimestamp();
        await stream.WriteAsync(frame, timeout.Token);
        int read;
        try
        {
            read = await stream.ReadAsync(answer, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            return (Stopwatch.GetElapsedTime(started).TotalMicroseconds, "no answer");
        }

        double micros = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        return (micros, read switch
        {
            0 => "connection closed",
            // A rate-limited sample says nothing about the packet; counted, it would make both classes look alike (a false "not vulnerable").
            8 when BinaryPrimitives.ReadInt32LittleEndian(answer) == 4 && BinaryPrimitives.ReadInt32LittleEndian(answer.AsSpan(4)) == TransportErrors.RateLimited =>
                throw new RateLimitedException("a timing sample"),
            8 when BinaryPrimitives.ReadInt32LittleEndian(answer) == 4 => $"transport error {BinaryPrimitives.ReadInt32LittleEndian(answer.AsSpan(4))}",
            _ => $"{read} bytes",
        });
    }

    private static string Describe(Dictionary<string, int> answers) => string.Join(", ", answers.OrderByDescending(a => a.Value).Select(a => $"{a.Key} ×{a.Value}"));

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];

    /// <summary>The Mann-Whitney U test, two-sided, normal approximation with a tie correction: (z, p).</summary>
    internal static (double Z, double P) MannWhitney(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var all = a.Select(v => (Value: v, FromA: true)).Concat(b.Select(v => (Value: v, FromA: false))).OrderBy(x => x.Value).ToArray();
        double rankSumA = 0, tieTerm = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Value == all[i].Value)
            {
                j++;
            }

            double rank = (i + j + 1) / 2.0; // ranks i+1..j share their average
            int tied = j - i;
            tieTerm += (double)tied * tied * tied - tied;
            rankSumA += all[i..j].Count(x => x.FromA) * rank;
            i = j;
        }

        double n1 = a.Count, n2 = b.Count, n = n1 + n2;
        double u = rankSumA - (n1 * (n1 + 1) / 2);
        double sigma = Math.Sqrt(n1 * n2 / 12.0 * ((n + 1) - (tieTerm / (n * (n - 1)))));
        double z = sigma == 0 ? 0 : (u - (n1 * n2 / 2)) / sigma;
        return (z, Erfc(Math.Abs(z) / Math.Sqrt(2)));
    }

    // Complementary error function for x >= 0 (the Chebyshev fit in Numerical Recipes, "erfcc": relative error below 1.2e-7).
    private static double Erfc(double x)
    {
        double t = 1 / (1 + (0.5 * x));
        double[] c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        double poly = 0;
        for (int i = c.Length - 1; i >= 0; i--)
        {
            poly = c[i] + (t * poly);
        }

        return t * Math.Exp((-x * x) + poly);
    }
}
