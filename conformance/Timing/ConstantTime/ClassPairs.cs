using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// The class pairs the check measures (docs/timing.md, "Constant time in process"): two judged against the real decryptor, the planted
/// leak on the second one's inputs, and the shape control.
/// </summary>
internal static class ClassPairs
{
    /// <summary>Packets per class: measurements cycle through them.</summary>
    public const int PacketsPerClass = 32;

    /// <summary>The real decryptor's name in reports.</summary>
    public const string RealDecryptor = "MessageEnvelope.TryDecrypt";

    private const MessageDirection Direction = MessageDirection.ClientToServer;

    // The comparator's position probed by the second class of the msg_key pair; see MsgKeyComparison.
    private const int ProbedPosition = 2;

    /// <summary>Builds every pair's inputs under <paramref name="key"/>; the packets come from <paramref name="random"/>.</summary>
    public static IReadOnlyList<ClassPair> Create(AuthKey key, Random random)
    {
        var packets = new PacketFactory(key, Direction, random);
        Decryptor real = (wire, plaintext) => MessageEnvelope.TryDecrypt(key, Direction, wire, plaintext, out _);
        Decryptor planted = (wire, plaintext) => PlantedLeakDecryptor.TryDecrypt(key, Direction, wire, plaintext);
        ClassPair msgKey = MsgKeyComparison(packets, real);
        return
        [
            LengthField(packets, real),
            msgKey,
            msgKey with
            {
                Name = msgKey.Name + "-planted",
                Why = "Negative control: the planted early-exit comparator on the same inputs must be found.",
                Role = PairRole.PlantedControl,
                Decryptor = planted,
                DecryptorName = nameof(PlantedLeakDecryptor),
            },
            ShapeEarlyExit(packets, real),
        ];
    }

    /// <summary>
    /// Pair 1: a wrong msg_key over a well-formed layout against one over an impossible length. A receiver that reads
    /// message_data_length before it checks msg_key tells them apart: the length oracle of Albrecht, Mareková,
    /// Paterson and Stepanovs 2022, attack 3 (docs/protocol.md §2.4 step 4, §7).
    /// </summary>
    private static ClassPair LengthField(PacketFactory packets, Decryptor real) => new(
        "length-field",
        ("msg-key-wrong-layout-valid", "msg-key-wrong-length-impossible"),
        "Reading the length before msg_key is the 2022 length oracle (attack 3; docs/protocol.md §2.4 step 4, §7).",
        PairRole.Judged, real, RealDecryptor,
        Pool(_ => packets.WrongMsgKeyWithLength(LengthOracleClasses.ValidLength), _ => packets.WrongMsgKeyWithLength(LengthOracleClasses.ImpossibleLength)));

    /// <summary>
    /// Pair 2: a msg_key that differs from the receiver's recomputation at its first byte against one that agrees on
    /// the first two bytes and differs at the third. An early-exit comparator runs longer on the second, and so tells
    /// an attacker how many leading bytes of the msg_key of a plaintext it cannot decrypt it has guessed
    /// (docs/protocol.md §2.4 step 3). Flipping a byte of a valid msg_key would not do: msg_key keys the decryption,
    /// so the recomputed value of any altered msg_key is a fresh random one, differing at byte 0 in 255 cases of 256;
    /// agreement on leading bytes has to be searched for, 256 draws per byte.
    /// </summary>
    private static ClassPair MsgKeyComparison(PacketFactory packets, Decryptor real) => new(
        "msg-key-comparison",
        ("msg-key-differs-first-byte", $"msg-key-differs-byte-{ProbedPosition}"),
        "An early-exit msg_key comparison leaks how many leading bytes match (docs/protocol.md §2.4 step 3, §7).",
        PairRole.Judged, real, RealDecryptor,
        Pool(_ => packets.WithFirstDifferenceAt(0), _ => packets.WithFirstDifferenceAt(ProbedPosition)));

    /// <summary>
    /// Pair 3, the positive control: packets too short or not a whole number of blocks against msg_key failures of
    /// the nearest valid lengths. The shape checks are public early exits (docs/protocol.md §2.4 step 1;
    /// MessageEnvelope.CheckShape): their timing depends only on the length the sender chose, and the method must see
    /// them.
    /// </summary>
    private static ClassPair ShapeEarlyExit(PacketFactory packets, Decryptor real)
    {
        int shortest = MessageEnvelope.MinEncryptedLength, typical = PacketFactory.PlaintextLength;
        return new ClassPair(
            "shape-early-exit",
            ("shape-failure", "msg-key-failure"),
            "Expected to differ: shape checks are public early exits (docs/protocol.md §2.4 step 1), the method must see them.",
            PairRole.ShapeControl, real, RealDecryptor,
            Pool(i => packets.Random(i % 2 == 0 ? shortest - 1 : typical + 1), i => packets.Random(i % 2 == 0 ? shortest : typical)));
    }

    /// <summary>Packet i of each class, for i below <see cref="PacketsPerClass"/>.</summary>
    private static PacketPool Pool(Func<int, byte[]> classA, Func<int, byte[]> classB)
    {
        var a = new List<byte[]>(PacketsPerClass);
        var b = new List<byte[]>(PacketsPerClass);
        for (int i = 0; i < PacketsPerClass; i++)
        {
            a.Add(classA(i));
            b.Add(classB(i));
        }

        return new PacketPool(a, b);
    }
}
