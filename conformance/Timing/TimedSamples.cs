namespace Testbed.Conformance.Timing;

/// <summary>
/// What a paired sampling run recorded, pair by pair: each class's time, which connection carried the pair, which
/// class went first, and when the pair started. The order and the connection are kept so that drift over the run and
/// differences between connections can be seen (the over-time plot) and tested (<see cref="Drift"/>).
/// </summary>
internal sealed class TimedSamples
{
    /// <summary>Class A's time in each pair, in nanoseconds.</summary>
    public required long[] A { get; init; }

    /// <summary>Class B's time in each pair, in nanoseconds.</summary>
    public required long[] B { get; init; }

    /// <summary>The connection (0-based) that carried each pair.</summary>
    public required int[] Connection { get; init; }

    /// <summary>Whether class B went first in each pair (drawn at random).</summary>
    public required bool[] BFirst { get; init; }

    /// <summary>When each pair started, in nanoseconds since the first kept pair.</summary>
    public required long[] StartedAt { get; init; }

    /// <summary>Each class's answers: the transport error code (negative) or the answer's length, with how often it came.</summary>
    public required IReadOnlyDictionary<int, int>[] Answers { get; init; }

    /// <summary>The plan sampled under.</summary>
    public required SamplingPlan Plan { get; init; }

    /// <summary>How the samples were timed ("blocking TCP socket, intermediate framing", …).</summary>
    public required string Channel { get; init; }

    /// <summary>The time spent sampling, warm-up excluded.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>"the pair budget", "the time budget" or "cancelled".</summary>
    public required string StoppedBy { get; init; }

    /// <summary>Pairs kept.</summary>
    public int Pairs => A.Length;

    /// <summary>Whether the two classes got different sets of answers: an error oracle, before any timing.</summary>
    public bool AnswersDiffer => !Answers[0].Keys.Order().SequenceEqual(Answers[1].Keys.Order());

    /// <summary>One class's answers for a report: "transport error -404 ×20000".</summary>
    public string DescribeAnswers(int cls) => string.Join(", ", Answers[cls].OrderByDescending(a => a.Value)
        .Select(a => $"{(a.Key < 0 ? Harness.TransportErrors.Describe(a.Key) : $"a {a.Key}-byte answer")} ×{a.Value:N0}"));
}
