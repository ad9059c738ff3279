using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Sessions;

/// <summary>The decision about one incoming message.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Code">For <see cref="AdmissionAction.Refuse"/> and <see cref="AdmissionAction.BadSalt"/>: the error_code.</param>
/// <param name="Reason">Why, in words, for the security-event log and tests.</param>
public readonly record struct AdmissionVerdict(AdmissionAction Action, BadMsgCode? Code, string Reason)
{
    internal static AdmissionVerdict Process { get; } = new(AdmissionAction.Process, null, "accepted");

    internal static AdmissionVerdict Refuse(BadMsgCode code, string reason) => new(AdmissionAction.Refuse, code, reason);
}
