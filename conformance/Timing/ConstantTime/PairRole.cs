namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>What a class pair's result is for.</summary>
internal enum PairRole
{
    /// <summary>The real decryptor must not tell the classes apart: a leak here fails the check.</summary>
    Judged,

    /// <summary>
    /// A difference the real decryptor is allowed, and the method must see: shape failures are public early exits
    /// (docs/protocol.md §2.4 step 1). Not seeing it means the run cannot judge.
    /// </summary>
    ShapeControl,

    /// <summary>The planted early-exit comparator on a judged pair's inputs: it must be found, or the run cannot judge.</summary>
    PlantedControl,
}
