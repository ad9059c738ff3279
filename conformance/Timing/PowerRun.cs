namespace Testbed.Conformance.Timing;

/// <summary>One run of the detector in a power study: against a planted leak of known size (0: the clean server).</summary>
/// <param name="LeakNanoseconds">The length-timing-leak size; 0 for the clean server.</param>
/// <param name="PairBudget">The plan's pair budget.</param>
/// <param name="Repeat">Which repetition (1-based).</param>
/// <param name="Pairs">Pairs actually kept (fewer when the time budget ended the run).</param>
/// <param name="Seconds">Sampling time, warm-up excluded.</param>
/// <param name="Leak">The verdict.</param>
/// <param name="MedianDifference">The median paired difference, ns.</param>
/// <param name="Low">Its interval's lower end, ns.</param>
/// <param name="High">Its interval's upper end, ns.</param>
/// <param name="SmallestDetectable">The run's smallest detectable difference, ns.</param>
internal sealed record PowerRun(long LeakNanoseconds, int PairBudget, int Repeat, int Pairs, double Seconds, bool Leak,
    double MedianDifference, double Low, double High, double SmallestDetectable);
