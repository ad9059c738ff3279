using FsCheck;
using FsCheck.Xunit;
using Testbed.Conformance.Timing.ConstantTime;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The constant-time check's parts that can be checked without timing anything (docs/timing.md, "Constant time in process"): its
/// statistic, its planted leak, its inputs and its command line. No test here measures time.
/// </summary>
public sealed class ConstantTimeTests
{
    private const MessageDirection Direction = MessageDirection.ClientToServer;

    /// <summary>The online Welch statistic (Welford updates) equals the textbook two-pass computation.</summary>
    [Property]
    public bool Online_welch_t_equals_the_two_pass_computation(int[] a, int[] b, NonNegativeInt shift)
    {
        // Two measurements per class at least, and a large common offset, as timings in nanoseconds have.
        double[] x = [.. a.Append(1).Append(-1).Select(v => (v % 100_000) + (1000.0 * shift.Get))];
        double[] y = [.. b.Append(2).Append(0).Select(v => (v % 100_000) + (1000.0 * shift.Get))];
        var online = new WelchTest();
        for (int i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            if (i < x.Length)
            {
                online.Push(x[i], 0);
            }

            if (i < y.Length)
            {
                online.Push(y[i], 1);
            }
        }

        (double meanX, double varX) = TwoPass(x);
        (double meanY, double varY) = TwoPass(y);
        double t = (meanX - meanY) / Math.Sqrt((varX / x.Length) + (varY / y.Length));
        return online.Count(0) == x.Length && online.Count(1) == y.Length
            && Close(online.Mean(0), meanX) && Close(online.Mean(1), meanY)
            && Close(online.Variance(0), varX) && Close(online.Variance(1), varY)
            && (double.IsNaN(t) ? double.IsNaN(online.T) : Close(online.T, t));
    }

    /// <summary>The planted comparator examines bytes up to and including the first difference, and no further.</summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    [InlineData(15, 16)]
    public void The_planted_comparator_stops_at_the_first_difference(int position, int examined)
    {
        byte[] expected = [.. Enumerable.Range(0, MessageKey.Size).Select(i => (byte)i)];
        byte[] received = [.. expected];
        received[position] ^= 0x80;
        if (position < MessageKey.Size - 1)
        {
            received[^1] ^= 0x01; // a later difference, which must not be reached
        }

        Assert.False(PlantedLeakDecryptor.EqualsEarlyExit(expected, received, out int count));
        Assert.Equal(examined, count);
        Assert.True(PlantedLeakDecryptor.EqualsEarlyExit(expected, expected, out count));
        Assert.Equal(MessageKey.Size, count);
    }

    /// <summary>The planted decryptor accepts and refuses what the real one does: only its timing differs.</summary>
    [Fact]
    public void The_planted_decryptor_accepts_a_valid_message_and_refuses_a_tampered_one()
    {
        using var key = AuthKey.FromBytes(Enumerable.Range(0, AuthKey.Size).Select(i => (byte)(i * 7)).ToArray());
        byte[] wire = new byte[MessageEnvelope.GetWireLength(8, 24)];
        MessageEnvelope.Encrypt(key, Direction, new EnvelopeHeader(1, 2, 3 << 2, 1), new byte[8], 24, wire);
        byte[] plaintext = new byte[wire.Length];
        Assert.True(PlantedLeakDecryptor.TryDecrypt(key, Direction, wire, plaintext));
        wire[8 + MessageKey.Size - 1] ^= 1;
        Assert.False(PlantedLeakDecryptor.TryDecrypt(key, Direction, wire, plaintext));
        Assert.All(plaintext[..(wire.Length - MessageEnvelope.WireHeaderSize)], b => Assert.Equal(0, b));
        Assert.False(PlantedLeakDecryptor.TryDecrypt(key, Direction, wire.AsSpan(..^1), plaintext));
    }

    /// <summary>The msg_key pair's packets are what their classes say: the comparison first differs where the name says.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_searched_packet_first_differs_from_the_recomputed_msg_key_where_asked(int position)
    {
        using var key = AuthKey.FromBytes(Enumerable.Range(0, AuthKey.Size).Select(i => (byte)(i * 13)).ToArray());
        var factory = new PacketFactory(key, Direction, new Random(position));
        byte[] wire = factory.WithFirstDifferenceAt(position);
        Assert.Equal(position, factory.FirstDifference(wire, new byte[PacketFactory.PlaintextLength], new byte[MessageKey.Size]));
        Assert.False(MessageEnvelope.TryDecrypt(key, Direction, wire, new byte[wire.Length], out _));
    }

    /// <summary>The shape control's packets fail the shape checks, the judged pairs' packets fail msg_key (EnvelopeDiagnostics).</summary>
    [Fact]
    public void Every_pair_fails_where_its_classes_say()
    {
        using var key = AuthKey.FromBytes(Enumerable.Range(0, AuthKey.Size).Select(i => (byte)(i * 5)).ToArray());
        IReadOnlyList<ClassPair> pairs = ClassPairs.Create(key, new Random(1));
        byte[] plaintext = new byte[256];
        foreach (ClassPair pair in pairs)
        {
            for (int cls = 0; cls < 2; cls++)
            {
                EnvelopeRejection reason = EnvelopeDiagnostics.Decrypt(key, Direction, pair.Packets.Get(cls, cls + 2), plaintext, out _);
                bool shape = pair.Role == PairRole.ShapeControl && cls == 0;
                Assert.True(shape ? reason is EnvelopeRejection.TooShort or EnvelopeRejection.NotBlockAligned : reason == EnvelopeRejection.MsgKeyMismatch,
                    $"{pair.Name} class {cls}: {reason}");
            }
        }
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-1")]
    [InlineData("30000000")]
    public void Measurements_out_of_range_are_one_usage_line(string measurements)
    {
        (int exit, string output, string error) = Run("lab", "constant-time", "--measurements", measurements, "--out", Path.GetTempPath());
        Assert.Equal(2, exit);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: --measurements must be 10000 to 20000000 per class, not {measurements}", line);
        Assert.Empty(output);
    }

    [Fact]
    public void An_unwritable_out_directory_is_one_usage_line()
    {
        string file = Path.GetTempFileName();
        try
        {
            (int exit, _, string error) = Run("lab", "constant-time", "--measurements", "10000", "--out", Path.Combine(file, "under-a-file"));
            Assert.Equal(2, exit);
            string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: cannot write to --out {file}", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_measurement_count_that_is_not_a_number_is_a_usage_error()
    {
        (int exit, _, string error) = Run("lab", "constant-time", "--measurements", "many");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("many", error.Split('\n')[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// What a run concludes from its pairs' |t| (docs/timing.md, "A leak must be found twice"): a judged pair's leak
    /// fails the decryptor only when its repeat finds it again; one the repeat does not find leaves the run unable to
    /// tell (exit 3), never cleared and never failed. The controls are seen in every row (|t| 50).
    /// </summary>
    [Theory]
    [InlineData(2.0, null, 0)]
    [InlineData(6.0, null, 3)]
    [InlineData(20.0, 30.0, 1)]  // found twice: a leak
    [InlineData(20.0, 2.0, 3)]   // not found again: cannot tell
    [InlineData(20.0, 6.0, 3)]
    [InlineData(20.0, null, 1)]  // a leak nobody measured again (a result built without the command) still fails
    public void A_judged_leak_fails_the_run_only_when_its_repeat_finds_it_again(double t, double? repeatT, int exit)
    {
        PairResult judged = Result("length-field", PairRole.Judged, t);
        if (repeatT is { } again)
        {
            judged = judged with { Repeat = Result("length-field", PairRole.Judged, again) };
        }

        var conclusion = Conclusion.From([judged, Result("planted", PairRole.PlantedControl, 50), Result("shape", PairRole.ShapeControl, 50)]);

        Assert.Equal(exit, conclusion.ExitCode);
        Assert.Equal(exit == 1, conclusion.Text.Contains("NOT constant-time", StringComparison.Ordinal));
    }

    /// <summary>A pair's result whose only crop has Welch's t = <paramref name="t"/>.</summary>
    private static PairResult Result(string name, PairRole role, double t) => new(
        new ClassPair(name, ("a", "b"), "a test's pair", role, (_, _) => false, "none", new PacketPool([[0]], [[1]])),
        new TimingSamples([1, 2], [0, 1], 0, 0, TimeSpan.Zero),
        [new CropResult("all", null, 1, 1, 100, 100 + t, t, 1)],
        100, 100 + t);

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static (double Mean, double Variance) TwoPass(double[] values)
    {
        double mean = values.Average();
        return (mean, values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected));
}
