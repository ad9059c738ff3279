namespace Testbed.Soak;

/// <summary>One attack's measurements and verdict: a row of the table (docs/soak.md, "Reading the table").</summary>
internal sealed record SoakRow(
    string Attack,
    string Size,
    Gauge Before,
    Gauge Peak,
    Gauge? After,
    int VictimOk,
    int VictimTotal,
    double? P99Milliseconds,
    TimeSpan? LongestOpen,
    int StillOpen,
    IReadOnlyList<string> Failures,
    IReadOnlyList<string> Notes)
{
    public bool Passed => Failures.Count == 0;
}
