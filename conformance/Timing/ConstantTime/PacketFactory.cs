using System.Buffers.Binary;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// Builds the classes' packets under one auth key and one direction, from a seeded generator so that a run's inputs
/// can be built again. None of them is a message the key's owner sent: each carries a msg_key the receiver will not
/// recompute, which is all an attacker without the key can send.
/// </summary>
internal sealed class PacketFactory(AuthKey key, MessageDirection direction, Random random)
{
    /// <summary>The plaintext of the msg_key packets: the 32-byte header and 32 bytes of data and padding.</summary>
    public const int PlaintextLength = LengthOracleClasses.PlaintextLength;

    /// <summary>
    /// Search bound for <see cref="WithFirstDifferenceAt"/>: a hit at position p takes 256^p tries on average, and
    /// 100 times that many fail with probability e^-100.
    /// </summary>
    private const int SearchFactor = 100;

    /// <summary>The 2022 length attack's packet (<see cref="LengthOracleClasses.Packet"/>), from this factory's seeded generator.</summary>
    public byte[] WrongMsgKeyWithLength(int lengthField) => LengthOracleClasses.Packet(key, direction, lengthField, random);

    /// <summary>The key's auth_key_id, then random bytes: a random msg_key and <paramref name="encryptedLength"/> bytes of ciphertext.</summary>
    public byte[] Random(int encryptedLength)
    {
        byte[] wire = Header(encryptedLength);
        random.NextBytes(wire.AsSpan(MessageEnvelope.WireHeaderSize));
        return wire;
    }

    /// <summary>
    /// A random packet whose msg_key first differs from the one the receiver recomputes at byte
    /// <paramref name="position"/>: msg_key keys the decryption (docs/protocol.md §2.2), so no attacker can choose
    /// where the two differ; it can only draw msg_keys until one agrees on the leading bytes, 256^position draws on
    /// average, which is what probing an early-exit comparator costs in MTProto 2.0.
    /// </summary>
    public byte[] WithFirstDifferenceAt(int position)
    {
        byte[] wire = Random(PlaintextLength);
        Span<byte> msgKey = wire.AsSpan(8, MessageKey.Size);
        Span<byte> expected = stackalloc byte[MessageKey.Size];
        Span<byte> plaintext = stackalloc byte[PlaintextLength];
        long tries = SearchFactor * (1L << (8 * position));
        for (long attempt = 0; attempt < tries; attempt++)
        {
            random.NextBytes(msgKey);
            if (FirstDifference(wire, plaintext, expected) == position)
            {
                return wire;
            }
        }

        throw new InvalidOperationException($"No msg_key first differing at byte {position} in {tries} tries.");
    }

    /// <summary>Where the packet's msg_key first differs from the receiver's recomputation of it (16: nowhere).</summary>
    internal int FirstDifference(ReadOnlySpan<byte> wire, Span<byte> plaintext, Span<byte> expected)
    {
        PlantedLeakDecryptor.RecomputeMsgKey(key, direction, wire, plaintext, expected);
        return PlantedLeakDecryptor.EqualsEarlyExit(expected, wire.Slice(8, MessageKey.Size), out int examined) ? MessageKey.Size : examined - 1;
    }

    private byte[] Header(int encryptedLength)
    {
        byte[] wire = new byte[MessageEnvelope.WireHeaderSize + encryptedLength];
        key.WriteId(wire);
        random.NextBytes(wire.AsSpan(8, MessageKey.Size));
        return wire;
    }
}
