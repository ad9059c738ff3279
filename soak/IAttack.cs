namespace Testbed.Soak;

/// <summary>One row of the soak table: an attack on a fresh server, and its own checks (docs/soak.md).</summary>
internal interface IAttack
{
    /// <summary>The name <c>--only</c> takes and the table shows.</summary>
    string Name { get; }

    /// <summary>
    /// Whether its connections hold the server without ever completing a packet: then they must be closed within the
    /// handshake step (plus slack), and the server's RSS must stay under 300 MiB meanwhile.
    /// </summary>
    bool IsSlowloris { get; }

    /// <summary>The size at <paramref name="scale"/>, as the table shows it.</summary>
    string Size(SoakScale scale);

    /// <summary>Attacks, holding its connections in <see cref="AttackContext.Ledger"/> until they close or their time is up.</summary>
    Task RunAsync(AttackContext context, CancellationToken cancel);

    /// <summary>Checks what the server wrote, once it has stopped (and written all it held).</summary>
    void JudgeAfterStop(AttackContext context)
    {
    }
}
