namespace Testbed.Protocol.Sessions;

/// <summary>What a receiver does with a decrypted, authenticated message (<see cref="SessionAdmission.Check"/>).</summary>
public enum AdmissionAction
{
    /// <summary>Process it, then call <see cref="SessionAdmission.Record"/>.</summary>
    Process,

    /// <summary>
    /// Seen before: never process it again. A server answers with the stored result if it still has it, else with
    /// msg_detailed_info (docs/protocol.md §3.4).
    /// </summary>
    Duplicate,

    /// <summary>Refuse it with bad_msg_notification carrying <see cref="AdmissionVerdict.Code"/>.</summary>
    Refuse,

    /// <summary>Refuse it with bad_server_salt (code 48) carrying the right salt.</summary>
    BadSalt,
}
