namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the timing cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
/// <remarks>
/// None for TIM-001 as the case stands: its two kinds of damage (msg_key altered; a bit of the first ciphertext block
/// altered) reach the server as the same thing, a msg_key that does not match and a plaintext garbled from the first
/// block on (a wrong msg_key derives a wrong AES key; in IGE a changed first block garbles every block after it), so
/// the length field is garbage in both and no server, length-before-MAC included, can answer them differently.
/// </remarks>
public static class TimingViolations
{
    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [];
}
