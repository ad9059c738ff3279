namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the session cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class SessionViolations
{
    /// <summary>get_future_salts (ServiceMessageHandler) lists num - 1 salts, at least one.</summary>
    public static readonly Violation FutureSaltsOneShort = new("SES-004",
        "answers get_future_salts(n) with n - 1 salts (at least one) instead of the n requested");

    /// <summary>destroy_session (ServiceMessageHandler) answers destroy_session_ok whether or not it destroyed a session.</summary>
    public static readonly Violation UnknownSessionDestroyed = new("SES-005",
        "answers destroy_session with destroy_session_ok for a session the key never had instead of destroy_session_none");

    /// <summary>
    /// new_session_created (EncryptedMessageProcessor) carries the next period's salt, which the server refuses until
    /// that period. The harness warms every session by adopting new_session_created's salt (Probe.WarmAsync), so
    /// every case that sends on a warmed session under its salt meets bad_server_salt too: SES-003 (the second session
    /// inherits the salt), SES-004, SES-005 and SES-007. SES-001 and SES-008 send under a wrong salt on purpose and
    /// SES-002 looks at the first answer only, so they still pass.
    /// </summary>
    public static readonly Violation NewSessionSaltNotYetValid = new("SES-006",
        "new_session_created carries the next period's salt, which the server refuses (bad_server_salt) for the session's next message")
    {
        AlsoBreaks = ["SES-003", "SES-004", "SES-005", "SES-007"],
    };

    /// <summary>destroy_auth_key (ServiceMessageHandler) answers destroy_auth_key_ok and keeps the key.</summary>
    public static readonly Violation DestroyedKeyKept = new("SES-007",
        "answers destroy_auth_key with destroy_auth_key_ok but keeps the key: its next message is processed (pong) instead of getting -404");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [FutureSaltsOneShort, UnknownSessionDestroyed, NewSessionSaltNotYetValid, DestroyedKeyKept];
}
