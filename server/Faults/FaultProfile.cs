namespace Testbed.Server.Faults;

/// <summary>
/// A deliberate, documented weakness the server can be started with (<c>--fault NAME</c>), so the conformance suite
/// and the replay lab can prove they detect it.
/// </summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Weakness">What the server does wrong.</param>
/// <param name="Reference">The public account of why it matters.</param>
/// <param name="Apply">How it weakens the server, given the profile's value (<see cref="Parameter"/>; 0 for a profile without one).</param>
/// <param name="Parameter">The size the profile takes (<c>NAME=VALUE</c>), or null when it takes none.</param>
public sealed record FaultProfile(string Name, string Weakness, string Reference, Func<ServerBehaviour, long, ServerBehaviour> Apply,
    FaultParameter? Parameter = null)
{
    /// <summary>The behaviour with every fault applied, in order: each a name, or <c>NAME=VALUE</c> for a profile that takes a size.</summary>
    /// <exception cref="ArgumentException">A fault is not in <see cref="FaultCatalog"/>, or its value is not one the profile takes.</exception>
    public static ServerBehaviour Combine(IEnumerable<string> faults) =>
        faults.Select(FaultCatalog.Parse).Aggregate(ServerBehaviour.Hardened, (behaviour, fault) => fault.Profile.Apply(behaviour, fault.Value));
}
