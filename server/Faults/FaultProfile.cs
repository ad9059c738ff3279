using Testbed.Protocol.Sessions;

namespace Testbed.Server.Faults;

/// <summary>
/// A deliberate, documented weakness the server can be started with (<c>--fault NAME</c>), so the conformance suite
/// and the replay lab can prove they detect it.
/// </summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Weakness">What the server does wrong.</param>
/// <param name="Reference">The public account of why it matters.</param>
/// <param name="Apply">How it relaxes the session checks.</param>
public sealed record FaultProfile(string Name, string Weakness, string Reference, Func<AdmissionPolicy, AdmissionPolicy> Apply);
