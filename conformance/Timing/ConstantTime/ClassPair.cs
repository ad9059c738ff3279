namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>Two classes of inputs to one decryptor, measured against each other.</summary>
/// <param name="Name">The pair's name in the report and the CSV file's name.</param>
/// <param name="Classes">The two classes' names (class 0, class 1).</param>
/// <param name="Why">One line: what a difference between the classes would leak, and to which attack.</param>
/// <param name="Role">Whether the result is judged or is a control.</param>
/// <param name="Decryptor">The real decryptor or the planted one.</param>
/// <param name="DecryptorName">Which of the two, for the report.</param>
/// <param name="Packets">The precomputed inputs.</param>
internal sealed record ClassPair(string Name, (string A, string B) Classes, string Why, PairRole Role, Decryptor Decryptor,
    string DecryptorName, PacketPool Packets);
