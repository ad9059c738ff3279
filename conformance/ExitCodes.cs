namespace Testbed.Conformance;

/// <summary>The tool's exit codes, the same for every command.</summary>
internal static class ExitCodes
{
    /// <summary>Everything matched.</summary>
    public const int Success = 0;

    /// <summary>At least one result did not match what was expected; for <c>lab run</c>, an experiment found the target vulnerable.</summary>
    public const int Mismatch = 1;

    /// <summary>The command line, an input file or a connection was unusable; nothing was judged.</summary>
    public const int Usage = 2;

    /// <summary><c>lab</c>: an experiment could not decide (and none found a vulnerability or an unexpected verdict).</summary>
    public const int Inconclusive = 3;
}
