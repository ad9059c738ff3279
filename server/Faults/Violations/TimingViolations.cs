namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the timing cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class TimingViolations
{
    /// <summary>
    /// EncryptedMessageProcessor: the length-before-mac fault profile without its error oracle. The message is
    /// decrypted and its layout judged first; a bad one gets the same -404 as every other failure at once, while a good
    /// one goes on to the ordinary path (a second decryption and the msg_key hash), so only the response time tells them
    /// apart, by about a microsecond for TIM-001's small packets.
    /// </summary>
    public static readonly Violation LengthJudgedBeforeMsgKey = new("TIM-001",
        "judges message_data_length before msg_key and refuses a bad one at once, with the same -404 as every other failure");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [LengthJudgedBeforeMsgKey];
}
