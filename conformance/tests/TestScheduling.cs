// How this project's tests share the machine (./test.sh runs them in two steps).
//
// Most of the project's time is waiting, not computing: a case waits out the window in which an answer must not come,
// a server its timeout. ViolationTests alone took 272 s of wall time for 69 s of CPU, and with xUnit's default (one
// test collection per core, two here) the project took 12 minutes, the longest step of ./test.sh. Three collections
// at once keep the cores busier.
//
// What measures time cannot share them: under three collections the timing oracle's planted 1 µs leak was once
// measured at +800 ns and not told from noise. Those tests carry the Timing category; ./test.sh leaves them out of
// the parallel step and runs them in a step of their own, alone on the machine, as it does the browser's performance test.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace Testbed.Conformance.Tests;

/// <summary>The trait values ./test.sh selects steps by (<c>--filter "Category=..."</c>).</summary>
internal static class TestCategories
{
    /// <summary>
    /// A test whose verdict rests on measured time (a planted timing leak that must be found): run alone, after the
    /// others, with no other test sharing the cores (docs/timing.md, "Where timing is judged").
    /// </summary>
    public const string Timing = "Timing";
}
