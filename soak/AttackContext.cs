namespace Testbed.Soak;

/// <summary>What an attack works on and reports to: the server, the scale, its connections, and its own failed checks.</summary>
internal sealed class AttackContext(ServerUnderTest server, SoakScale scale) : IDisposable
{
    private readonly List<string> _failures = [];
    private readonly List<string> _notes = [];

    public ServerUnderTest Server { get; } = server;

    public SoakScale Scale { get; } = scale;

    public ConnectionLedger Ledger { get; } = new();

    /// <summary>The attack's own checks that failed, for the verdict.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>What the attack observed that the table's columns do not show (connections refused, answers seen).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Records a failed check when <paramref name="passed"/> is false.</summary>
    public void Check(bool passed, string failure)
    {
        if (!passed)
        {
            lock (_failures)
            {
                _failures.Add(failure);
            }
        }
    }

    public void Note(string note)
    {
        lock (_notes)
        {
            _notes.Add(note);
        }
    }

    public void Dispose() => Ledger.Dispose();
}
