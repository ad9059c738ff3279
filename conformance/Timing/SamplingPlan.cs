namespace Testbed.Conformance.Timing;

/// <summary>
/// How a timing run samples: how many pairs at most and for how long at most (whichever ends first), after how many
/// discarded warm-up pairs, over how many persistent connections, with which seed for the random order.
/// </summary>
/// <param name="Pairs">The most pairs to keep (one sample of each class per pair).</param>
/// <param name="Duration">The most time to spend sampling, warm-up excluded.</param>
/// <param name="WarmUpPairs">Pairs sent first and discarded: the JIT, the caches and the TCP windows settle in them.</param>
/// <param name="Connections">Persistent connections; pair i goes on connection i mod this.</param>
/// <param name="Seed">Seeds the order within each pair and the packets drawn, so a run can be repeated exactly.</param>
internal sealed record SamplingPlan(int Pairs, TimeSpan Duration, int WarmUpPairs = 2000, int Connections = 2, int Seed = 1)
{
    /// <summary>The most pairs any plan may keep: 10 million pairs hold 160 MB of times and 0.5 GB with their records.</summary>
    public const int MaxPairs = 10_000_000;

    /// <summary>
    /// TIM-001's and the lab's small budget: at most 3 s of sampling (the fault zoo runs TIM-001 26 times), which finds
    /// a 1 µs leak in every run and resolves tens of nanoseconds here (docs/timing.md has the power curve).
    /// </summary>
    public static SamplingPlan Quick { get; } = new(20_000, TimeSpan.FromSeconds(3), WarmUpPairs: 1000);

    /// <summary>A one-line description for reports.</summary>
    public override string ToString() =>
        $"up to {Pairs:N0} pairs or {Duration.TotalSeconds:G} s, after {WarmUpPairs:N0} warm-up pairs, over {Connections} connection(s), seed {Seed}";

    /// <summary>Null when the plan is usable; otherwise what is wrong with it, in one line.</summary>
    public string? Problem() =>
        Pairs is < 20 or > MaxPairs ? $"pairs must be from 20 to {MaxPairs:N0}, not {Pairs:N0}"
        : Duration <= TimeSpan.Zero || Duration > TimeSpan.FromHours(2) ? $"the time budget must be above 0 and at most 2 hours, not {Duration}"
        : WarmUpPairs is < 0 or > 1_000_000 ? $"warm-up pairs must be from 0 to 1,000,000, not {WarmUpPairs:N0}"
        : Connections is < 1 or > 64 ? $"connections must be from 1 to 64, not {Connections}"
        : null;
}
