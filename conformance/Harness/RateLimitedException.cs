namespace Testbed.Conformance.Harness;

/// <summary>
/// Thrown where a case meets the target's rate limit (-429) in the middle of its exchanges. The runner turns it into
/// "not applicable: rate-limited", never a failure.
/// </summary>
internal sealed class RateLimitedException : Exception
{
    public RateLimitedException(string what)
        : base($"the target answered {TransportErrors.Describe(TransportErrors.RateLimited)} to {what}")
    {
    }

    public RateLimitedException()
    {
    }

    public RateLimitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
