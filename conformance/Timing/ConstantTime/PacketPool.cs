namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// The precomputed inputs of one class pair: the same number of packets per class, stored interleaved (class 0's
/// packet i, then class 1's packet i) in one pinned array at a stride of two cache lines. Every packet of both classes
/// so starts at the same offset within a cache line, neighbours the other class's packets and shares their pages, and
/// a difference between the classes cannot come from where their inputs live; nothing moves or is allocated while the
/// packets are measured.
/// </summary>
internal sealed class PacketPool
{
    private const int Stride = 128;
    private readonly byte[] _bytes;
    private readonly int[] _lengths;

    /// <param name="classA">Class 0's packets.</param>
    /// <param name="classB">Class 1's packets: as many as class 0's.</param>
    public PacketPool(IReadOnlyList<byte[]> classA, IReadOnlyList<byte[]> classB)
    {
        if (classA.Count != classB.Count || classA.Count == 0)
        {
            throw new ArgumentException($"Both classes need the same, non-zero number of packets ({classA.Count} and {classB.Count}).");
        }

        PerClass = classA.Count;
        _bytes = GC.AllocateArray<byte>(2 * PerClass * Stride, pinned: true);
        _lengths = new int[2 * PerClass];
        for (int i = 0; i < PerClass; i++)
        {
            Store((2 * i) + 0, classA[i]);
            Store((2 * i) + 1, classB[i]);
        }
    }

    /// <summary>The number of packets of each class.</summary>
    public int PerClass { get; }

    /// <summary>The longest packet: the plaintext buffer a decryptor needs is this less 24 bytes.</summary>
    public int MaxLength => _lengths.Max();

    /// <summary>Class <paramref name="cls"/>'s packet number <paramref name="index"/> (0 ≤ index &lt; <see cref="PerClass"/>).</summary>
    public ReadOnlySpan<byte> Get(int cls, int index)
    {
        int slot = (2 * index) + cls;
        return _bytes.AsSpan(slot * Stride, _lengths[slot]);
    }

    private void Store(int slot, byte[] packet)
    {
        if (packet.Length > Stride)
        {
            throw new ArgumentException($"A packet of {packet.Length} bytes does not fit the pool's {Stride}-byte slots.");
        }

        packet.CopyTo(_bytes.AsSpan(slot * Stride));
        _lengths[slot] = packet.Length;
    }
}
