namespace Testbed.Server.Faults;

/// <summary>
/// The size a fault profile takes after its name (<c>--fault NAME=VALUE</c>): for a planted leak of known size, so
/// that a detector's sensitivity can be measured against it.
/// </summary>
/// <param name="Unit">What the value counts, for messages and <c>--list-faults</c> ("nanoseconds").</param>
/// <param name="Default">The value when the name comes alone.</param>
/// <param name="Min">The smallest value accepted.</param>
/// <param name="Max">The largest value accepted.</param>
public sealed record FaultParameter(string Unit, long Default, long Min, long Max);
