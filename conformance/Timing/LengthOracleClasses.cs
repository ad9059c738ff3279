using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Timing;

/// <summary>
/// The two classes of attack 3 (Albrecht, Mareková, Paterson, Stepanovs, IEEE S&amp;P 2022; docs/protocol.md §2.4,
/// §7): packets under the attacker's view of a live auth key, each with a random msg_key and a ciphertext made so that
/// it decrypts, under the AES key and IV that msg_key derives, to a chosen plaintext. Class A's plaintext is well
/// formed, so only msg_key is wrong; class B's is the same with message_data_length far beyond the packet. A server
/// that checks msg_key first treats both alike; one that reads the length first does not, and the difference in time
/// (or answer) tells the attacker whether 4 bytes of a plaintext it cannot decrypt make a sensible length.
/// </summary>
internal sealed class LengthOracleClasses
{
    /// <summary>Class A's name in reports and CSV headers.</summary>
    public const string ClassA = "msg_key wrong, layout valid";

    /// <summary>Class B's name in reports and CSV headers.</summary>
    public const string ClassB = "msg_key wrong, length impossible";

    /// <summary>
    /// The plaintext's size: the smallest sensible message (a 32-byte header, a 12-byte ping, 20 bytes of padding).
    /// Small on purpose: the work both classes share (AES-IGE and SHA-256 over the packet) is noise here, not signal.
    /// </summary>
    public const int PlaintextLength = 64;

    /// <summary>Class A's message_data_length: a ping's 12 bytes, leaving 20 bytes of padding (§2.4's 12..1024).</summary>
    public const int ValidLength = 12;

    /// <summary>Class B's message_data_length: far beyond any packet.</summary>
    public const int ImpossibleLength = 0x7ffffff0;

    // Packets are built before sampling and drawn at random, so that no crypto runs between the timestamps' pairs.
    private const int PoolSize = 512;

    private readonly byte[][] _a;
    private readonly byte[][] _b;

    /// <summary>Builds a pool of each class's packets under <paramref name="key"/>.</summary>
    public LengthOracleClasses(AuthKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _a = [.. Enumerable.Range(0, PoolSize).Select(_ => Packet(key, MessageDirection.ClientToServer, ValidLength))];
        _b = [.. Enumerable.Range(0, PoolSize).Select(_ => Packet(key, MessageDirection.ClientToServer, ImpossibleLength))];
    }

    /// <summary>A packet of class A (<paramref name="classB"/> false) or B, drawn from the pool with <paramref name="random"/>.</summary>
    public byte[] Draw(bool classB, Random random) => (classB ? _b : _a)[random.Next(PoolSize)];

    /// <summary>
    /// One packet: random header fields, <paramref name="lengthField"/> as message_data_length, a random msg_key, and
    /// the plaintext encrypted under the keys that msg_key derives for <paramref name="direction"/>, so that the
    /// receiver's decryption yields it exactly. The bytes come from <paramref name="random"/> when given (a seeded,
    /// repeatable run), else from the system's cryptographic generator.
    /// </summary>
    public static byte[] Packet(AuthKey key, MessageDirection direction, int lengthField, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] plaintext = new byte[PlaintextLength];
        byte[] wire = new byte[MessageEnvelope.WireHeaderSize + plaintext.Length];
        Span<byte> msgKey = wire.AsSpan(8, MessageKey.Size);
        if (random is null)
        {
            RandomNumberGenerator.Fill(plaintext);
            RandomNumberGenerator.Fill(msgKey);
        }
        else
        {
            random.NextBytes(plaintext);
            random.NextBytes(msgKey);
        }

        BinaryPrimitives.WriteInt32LittleEndian(plaintext.AsSpan(28), lengthField);
        key.WriteId(wire);
        Span<byte> aesKey = stackalloc byte[MessageKey.AesKeySize];
        Span<byte> aesIv = stackalloc byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(key, direction, msgKey, aesKey, aesIv);
        AesIge.Encrypt(aesKey, aesIv, plaintext, wire.AsSpan(MessageEnvelope.WireHeaderSize));
        return wire;
    }
}
