namespace Testbed.Fuzz.Targets;

/// <summary>
/// One fuzz target: a decoder fed arbitrary bytes. <see cref="Run"/> catches exactly the exceptions the code under
/// test documents for bad input and checks the target's own invariants; anything else escapes, and AFL++ records a
/// crash. <see cref="Seeds"/> builds valid inputs of every kind (never hand-edited blobs); <see cref="Dictionary"/>
/// gives AFL++ the multi-byte tokens it cannot guess (constructor ids, framing markers, lengths).
/// </summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Description">What is fuzzed and what is asserted.</param>
/// <param name="Run">Runs one input.</param>
/// <param name="Seeds">Valid inputs for the seed corpus.</param>
/// <param name="Dictionary">Tokens for the AFL++ dictionary.</param>
internal sealed record FuzzTarget(string Name, string Description, Action<byte[]> Run, Func<IEnumerable<byte[]>> Seeds,
    Func<IEnumerable<byte[]>> Dictionary);

/// <summary>An invariant of a target was broken: a finding, reported as a crash.</summary>
internal sealed class InvariantException(string message) : Exception(message);
