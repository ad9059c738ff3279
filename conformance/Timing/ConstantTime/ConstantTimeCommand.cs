using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// <c>lab constant-time</c>: the dudect-style check that <see cref="MessageEnvelope.TryDecrypt"/> takes the same time
/// for inputs an attacker must not be able to tell apart (docs/protocol.md §2.4, §7), measured in process, with a
/// planted early-exit comparator and the public shape early exit as controls (docs/timing.md, "Constant time in process").
/// </summary>
internal static class ConstantTimeCommand
{
    /// <summary>dudect draws no conclusion from fewer measurements (DUDECT_ENOUGH_MEASUREMENTS).</summary>
    public const int MinMeasurements = 10_000;

    /// <summary>Bounds the run's memory: 9 bytes per measurement, two classes, one pair at a time.</summary>
    public const int MaxMeasurements = 20_000_000;

    /// <summary>Seeds the auth key, the packets and the class order, so that a run's inputs can be built again.</summary>
    public const int Seed = 20170327;

    public static Command Create()
    {
        var measurements = new Option<int>("--measurements")
        {
            Description = $"Measurements per class per pair ({MinMeasurements:N0} to {MaxMeasurements:N0}); 200000 is a quick run, about 10 s",
            DefaultValueFactory = _ => 2_000_000,
        };
        var output = new Option<string>("--out")
        {
            Description = "Where report.md, report.json and one CSV of raw measurements per pair go",
            DefaultValueFactory = _ => "lab-reports/constant-time",
        };
        var command = new Command("constant-time", "Check in process, dudect-style, that MessageEnvelope.TryDecrypt is constant-time where it must be. "
            + "Exit 0: cleared, and the planted leak found; 1: a judged pair leaks; 3: a control not seen, or a pair between the thresholds "
            + "(cannot judge); 2: usage error.")
        {
            measurements, output,
        };
        command.SetAction(parse =>
        {
            TextWriter console = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            int perClass = parse.GetValue(measurements);
            if (perClass is < MinMeasurements or > MaxMeasurements)
            {
                error.WriteLine($"error: --measurements must be {MinMeasurements} to {MaxMeasurements} per class, not {perClass}");
                return ExitCodes.Usage;
            }

            string directory = parse.GetValue(output)!;
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error.WriteLine($"error: cannot write to --out {directory}: {e.Message}");
                return ExitCodes.Usage;
            }

            return Run(perClass, directory, console);
        });
        return command;
    }

    private static int Run(int perClass, string directory, TextWriter console)
    {
        long started = Stopwatch.GetTimestamp();
        var run = new RunEnvironment(perClass, Seed, RaisePriority(), RunEnvironment.ReadLoadAverage(), TimingSampler.ClockStepNanoseconds());
        var random = new Random(Seed);
        byte[] keyBytes = new byte[AuthKey.Size];
        random.NextBytes(keyBytes);
        using var key = AuthKey.FromBytes(keyBytes);
        CryptographicOperations.ZeroMemory(keyBytes);
        byte[] classes = TimingSampler.ClassOrder(perClass, Seed);
        var results = new List<PairResult>();
        foreach (ClassPair pair in ClassPairs.Create(key, random))
        {
            PairResult result = LeakageAnalysis.Analyse(pair, TimingSampler.Measure(pair, classes));
            console.WriteLine(ConstantTimeReport.SummaryLine(result));
            if (pair.Role == PairRole.Judged && result.Verdict == Verdict.Leak)
            {
                result = result with { Repeat = MeasureAgain(key, pair, perClass) };
                console.WriteLine(ConstantTimeReport.SummaryLine(result.Repeat!, pair.Name + "-again") + $"; both: {ConstantTimeReport.Describe(result)}");
            }

            results.Add(result);
        }

        var conclusion = Conclusion.From(results);
        ConstantTimeReport.Write(directory, run, results, conclusion, Stopwatch.GetElapsedTime(started));
        console.WriteLine($"{conclusion.Text} ({Path.Combine(directory, "report.md")})");
        return conclusion.ExitCode;
    }

    /// <summary>
    /// A judged pair that one measurement called a leak, measured again on packets of its own (drawn with the next
    /// seed) in an order of its own: a leak of the decryptor is in every input of its class and every order, a false
    /// alarm of a noisy moment is not (docs/timing.md, "A leak must be found twice").
    /// </summary>
    private static PairResult MeasureAgain(AuthKey key, ClassPair pair, int perClass)
    {
        ClassPair again = ClassPairs.Create(key, new Random(Seed + 1)).Single(p => p.Name == pair.Name);
        return LeakageAnalysis.Analyse(again, TimingSampler.Measure(again, TimingSampler.ClassOrder(perClass, Seed + 1)));
    }

    /// <summary>Asks for the highest thread priority; what the thread has afterwards is reported, whatever the OS made of it.</summary>
    private static ThreadPriority RaisePriority()
    {
        try
        {
            Thread.CurrentThread.Priority = ThreadPriority.Highest;
        }
        catch (Exception e) when (e is ThreadStateException or System.Security.SecurityException)
        {
            // Not allowed: measured at the priority the thread has.
        }

        return Thread.CurrentThread.Priority;
    }
}
