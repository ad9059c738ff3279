namespace Testbed.Conformance.Harness;

/// <summary>
/// What every catalogue's case states, whichever side it tests (the server suite's <c>ConformanceCase</c>, the client
/// suite's <c>ClientCase</c>): what the reports, <c>list</c> and <c>explain</c> print.
/// </summary>
internal interface ICatalogCase
{
    string Id { get; }

    string Category { get; }

    RequirementLevel Level { get; }

    string Requirement { get; }

    /// <summary>The section of docs/protocol.md.</summary>
    string Reference { get; }

    /// <summary>What the case sends (the server suite) or what the hostile server does (the client suite).</summary>
    string Sends { get; }

    string Expects { get; }

    string Passes { get; }
}

/// <summary>One case's result as the reports read it.</summary>
internal interface ICaseResult
{
    ICatalogCase Case { get; }

    Verdict Verdict { get; }

    string Evidence { get; }

    TimeSpan Duration { get; }

    /// <summary>Why the expectations file expects a failure; null when it expects a pass.</summary>
    string? ExpectedFailure { get; }

    bool AsExpected { get; }
}
