using System.Security.Cryptography;
using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// The encrypted message from the server's side (docs/protocol.md §2): each case seals a forged answer to the client's
/// call with one thing wrong (<see cref="Smuggling"/>), and the client must drop it silently: nothing delivered, nothing
/// acknowledged, and the correct answer that follows delivered.
/// </summary>
internal static class ClientEnvelopeCases
{
    private const string Drops = "the forged message is dropped: not delivered, not acknowledged; the correct answer after it is delivered";

    /// <summary>
    /// With the forged answer's country "XX", message data is 28 bytes, so the plaintext's 60 bytes need 4 (+16k) bytes of
    /// padding to reach a multiple of 16: 4 is below the minimum of 12, 1028 above the maximum of 1024.
    /// </summary>
    private const int PaddingBelowMinimum = 4, PaddingAboveMaximum = 1028;

    public static IEnumerable<ClientCase> All() =>
    [
        Forged("CEN-001", "msg_key is checked before the plaintext is used: a message whose msg_key is not SHA-256 of its plaintext is dropped.", "§2.2, §2.4",
            "a forged answer whose msg_key has one bit flipped, encrypted with the AES key derived from the flipped msg_key (it opens to a valid message)",
            _ => new Seal { FlipMsgKeyBit = true }),
        Forged("CEN-002", "message_data_length must fit the plaintext.", "§2.4",
            "a forged answer whose message_data_length says 4096 bytes more than the plaintext holds (msg_key correct)", _ => new Seal { LengthLie = 4096 }),
        Forged("CEN-003", "message_data_length is a multiple of 4.", "§2.1, §2.4",
            "a forged answer whose message_data_length is 2 more than its data (inside the padding; msg_key correct)", _ => new Seal { LengthLie = 2 },
            RequirementLevel.Should),
        Forged("CEN-004", "Padding is 12 to 1024 bytes (Jakobsen and Orlandi's padding attack needs shorter).", "§2.1, §2.4",
            "a forged answer with 4 bytes of padding (msg_key correct)", _ => new Seal { Padding = PaddingBelowMinimum }),
        Forged("CEN-005", "Padding is 12 to 1024 bytes.", "§2.1, §2.4",
            "a forged answer with 1028 bytes of padding (msg_key correct)", _ => new Seal { Padding = PaddingAboveMaximum }),
        Forged("CEN-006", "Keys are derived with x = 8 from the server: a message sealed with the client's own direction (x = 0) is a reflection.", "§2.2",
            "a forged answer sealed with x = 0, as if the client had sent it", _ => new Seal { Direction = MessageDirection.ClientToServer }),
        Forged("CEN-007", "A message under another auth_key_id is not the client's.", "§2.4",
            "a forged answer whose auth_key_id is random (the rest sealed with the client's key)", _ => new Seal { ForeignKeyId = true }),
        Forged("CEN-008", "A message of another session_id is not for this session.", "§3.5",
            "a forged answer carrying a random session_id", _ => new Seal { SessionId = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) }),
    ];

    private static ClientCase Forged(string id, string requirement, string reference, string sends, Func<HostileSession, Seal> seal,
        RequirementLevel level = RequirementLevel.Must) =>
        new(id, "envelope", level, requirement, reference, sends + ", 300 ms before the correct answer", Drops,
            run => Smuggling.RunAsync(run, Smuggling.Sealed(seal)))
        {
            Passes = "the shim delivered rpc_result NL and never XX, and no msgs_ack of the client names the forged msg_id",
        };
}
