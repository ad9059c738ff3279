using System.Diagnostics;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.Timing;

/// <summary>
/// Paired, randomly ordered sampling of the two classes (the design of tlsfuzzer's timing runs and of RTLF's
/// measurements): each pair sends one packet of each class back to back on one persistent connection, in an order
/// drawn at random, so that whatever slows the machine for a while slows both members of a pair, and any advantage of
/// going first or second falls on each class equally often. Runs synchronously on the caller's thread; callers give it
/// a dedicated one (<see cref="RunOnOwnThreadAsync"/>).
/// </summary>
internal static class PairedSampler
{
    /// <summary>Runs <see cref="Run"/> on a thread of its own, out of the thread pool the server (if in process) uses.</summary>
    public static Task<TimedSamples> RunOnOwnThreadAsync(IReadOnlyList<ITimedChannel> channels, string channel, LengthOracleClasses classes,
        SamplingPlan plan, CancellationToken cancel) =>
        Task.Factory.StartNew(() => Run(channels, channel, classes, plan, cancel), cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Warms up, then samples pairs until the plan's pair or time budget is spent (or <paramref name="cancel"/> fires).
    /// </summary>
    /// <exception cref="IOException">A connection closed or stopped answering.</exception>
    /// <exception cref="RateLimitedException">The server answered -429: a rate-limited sample says nothing about the packet.</exception>
    public static TimedSamples Run(IReadOnlyList<ITimedChannel> channels, string channel, LengthOracleClasses classes, SamplingPlan plan,
        CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(plan);
        var random = new Random(plan.Seed);
        var answers = new Dictionary<int, int>[] { [], [] };
        for (int pair = 0; pair < plan.WarmUpPairs && !cancel.IsCancellationRequested; pair++)
        {
            SamplePair(channels[pair % channels.Count], classes, random, random.Next(2) == 1, answers, out _, out _);
        }

        answers = [[], []];
        var a = new List<long>();
        var b = new List<long>();
        var connection = new List<int>();
        var bFirst = new List<bool>();
        var startedAt = new List<long>();
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(plan.Duration.TotalSeconds * Stopwatch.Frequency);
        string stoppedBy = "the pair budget";
        for (int pair = 0; pair < plan.Pairs; pair++)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline || cancel.IsCancellationRequested)
            {
                stoppedBy = cancel.IsCancellationRequested ? "cancelled" : "the time budget";
                break;
            }

            bool classBFirst = random.Next(2) == 1;
            int on = pair % channels.Count;
            SamplePair(channels[on], classes, random, classBFirst, answers, out long timeA, out long timeB);
            a.Add(timeA);
            b.Add(timeB);
            connection.Add(on);
            bFirst.Add(classBFirst);
            startedAt.Add((now - start) * 1_000_000_000 / Stopwatch.Frequency);
        }

        return new TimedSamples
        {
            A = [.. a],
            B = [.. b],
            Connection = [.. connection],
            BFirst = [.. bFirst],
            StartedAt = [.. startedAt],
            Answers = answers,
            Plan = plan,
            Channel = channel,
            Elapsed = Stopwatch.GetElapsedTime(start),
            StoppedBy = stoppedBy,
        };
    }

    private static void SamplePair(ITimedChannel channel, LengthOracleClasses classes, Random random, bool classBFirst,
        Dictionary<int, int>[] answers, out long timeA, out long timeB)
    {
        byte[] first = classes.Draw(classBFirst, random), second = classes.Draw(!classBFirst, random);
        long firstTime = Sample(channel, first, classBFirst ? 1 : 0, answers);
        long secondTime = Sample(channel, second, classBFirst ? 0 : 1, answers);
        (timeA, timeB) = classBFirst ? (secondTime, firstTime) : (firstTime, secondTime);
    }

    private static long Sample(ITimedChannel channel, byte[] packet, int cls, Dictionary<int, int>[] answers)
    {
        long nanoseconds = channel.Exchange(packet, out int answer);
        if (answer == TransportErrors.RateLimited)
        {
            throw new RateLimitedException("a timing sample");
        }

        answers[cls][answer] = answers[cls].GetValueOrDefault(answer) + 1;
        return nanoseconds;
    }
}
