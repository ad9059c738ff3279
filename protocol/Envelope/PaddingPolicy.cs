using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Envelope;

/// <summary>
/// Chooses how many random padding bytes follow message_data. MTProto 2.0 requires 12 to 1024 bytes, making the
/// plaintext a multiple of 16 (docs/protocol.md §2.1); within that, the length is the sender's choice, and
/// varying it hides message lengths. The replay lab varies it, so it is a policy rather than a constant.
/// </summary>
public abstract class PaddingPolicy
{
    /// <summary>The fewest padding bytes allowed.</summary>
    public const int MinLength = 12;

    /// <summary>The most padding bytes allowed.</summary>
    public const int MaxLength = 1024;

    /// <summary>The smallest conforming padding: 12 to 27 bytes.</summary>
    public static PaddingPolicy Minimal { get; } = new RandomBlocks(0);

    /// <summary>
    /// The default: the smallest conforming padding plus 0 to 7 random extra blocks (12 to 139 bytes), which
    /// blurs message lengths at a cost of at most 112 extra bytes.
    /// </summary>
    public static PaddingPolicy Default { get; } = new RandomBlocks(7);

    /// <summary>The smallest conforming padding plus 0 to <paramref name="maxExtraBlocks"/> random extra blocks.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The result could exceed 1024 bytes.</exception>
    public static PaddingPolicy RandomExtraBlocks(int maxExtraBlocks)
    {
        // Minimal padding is at most 27 bytes; 27 + 16·62 = 1019 is the last that stays within 1024.
        ArgumentOutOfRangeException.ThrowIfNegative(maxExtraBlocks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxExtraBlocks, 62);
        return new RandomBlocks(maxExtraBlocks);
    }

    /// <summary>The smallest conforming padding plus exactly <paramref name="extraBlocks"/> blocks.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The result could exceed 1024 bytes.</exception>
    public static PaddingPolicy FixedExtraBlocks(int extraBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extraBlocks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(extraBlocks, 62);
        return new FixedBlocks(extraBlocks);
    }

    /// <summary>Returns the padding length for a message_data of <paramref name="messageDataLength"/> bytes.</summary>
    public abstract int ChooseLength(int messageDataLength);

    /// <summary>The smallest padding of 12 or more bytes that makes the plaintext a multiple of 16.</summary>
    public static int MinimalLength(int messageDataLength)
    {
        int unpadded = MessageEnvelope.PlaintextHeaderSize + messageDataLength + MinLength;
        return MinLength + ((16 - (unpadded % 16)) % 16);
    }

    private sealed class RandomBlocks(int maxExtraBlocks) : PaddingPolicy
    {
        public override int ChooseLength(int messageDataLength) =>
            MinimalLength(messageDataLength) + (16 * RandomPool.NextInt32(maxExtraBlocks + 1));
    }

    private sealed class FixedBlocks(int extraBlocks) : PaddingPolicy
    {
        public override int ChooseLength(int messageDataLength) => MinimalLength(messageDataLength) + (16 * extraBlocks);
    }
}
