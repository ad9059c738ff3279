namespace Testbed.Protocol.Messages;

/// <summary>
/// The sender's seq_no (docs/protocol.md §3.3): twice the number of content-related messages sent before, plus
/// one if this message is content-related. One counter per session. Thread-safe.
/// </summary>
public sealed class SeqNoCounter
{
    private int _contentRelatedSent;

    /// <summary>Starts at <paramref name="contentRelatedSent"/> content-related messages already sent.</summary>
    public SeqNoCounter(int contentRelatedSent = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentRelatedSent);
        _contentRelatedSent = contentRelatedSent;
    }

    /// <summary>The number of content-related messages sent so far.</summary>
    public int ContentRelatedSent => Volatile.Read(ref _contentRelatedSent);

    /// <summary>The seq_no for the next message.</summary>
    public int Next(bool contentRelated)
    {
        if (!contentRelated)
        {
            return 2 * Volatile.Read(ref _contentRelatedSent);
        }

        int before = Interlocked.Increment(ref _contentRelatedSent) - 1;
        return (2 * before) + 1;
    }
}
