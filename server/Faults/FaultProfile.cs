namespace Testbed.Server.Faults;

/// <summary>
/// A deliberate, documented weakness the server can be started with (<c>--fault NAME</c>), so the conformance suite
/// and the replay lab can prove they detect it.
/// </summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Weakness">What the server does wrong.</param>
/// <param name="Reference">The public account of why it matters.</param>
/// <param name="Apply">How it weakens the server.</param>
public sealed record FaultProfile(string Name, string Weakness, string Reference, Func<ServerBehaviour, ServerBehaviour> Apply)
{
    /// <summary>The behaviour with every named fault applied, in order.</summary>
    /// <exception cref="ArgumentException">A name is not in <see cref="FaultCatalog"/>.</exception>
    public static ServerBehaviour Combine(IEnumerable<string> names) =>
        names.Select(name => FaultCatalog.Find(name) ?? throw new ArgumentException($"Unknown fault '{name}'; --list-faults lists them."))
            .Aggregate(ServerBehaviour.Hardened, (behaviour, fault) => fault.Apply(behaviour));
}
