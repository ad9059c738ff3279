using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Server.Sessions;

namespace Testbed.Fuzz.Targets;

/// <summary>
/// The two targets for the server's decryption path, which faces the network. Besides "never an exception" they
/// assert the stronger rule of docs/protocol.md §2.4: every message the envelope refuses — too short, not
/// block-aligned, msg_key wrong, length or padding wrong — gets one and the same outcome from the server (−404,
/// nothing sent, no session touched), so a peer cannot tell which check failed.
/// </summary>
internal static class EnvelopeRefusalTargets
{
    /// <summary>Arbitrary bytes after the live key's auth_key_id: almost all fail msg_key.</summary>
    public static FuzzTarget Wire() => new("server-envelope",
        "The hardened server fed arbitrary encrypted packets under a live auth_key_id: every refusal is the same −404, nothing sent, no session made.",
        input =>
        {
            byte[] wire = new byte[8 + input.Length];
            FuzzInputs.AuthKey.WriteId(wire);
            input.CopyTo(wire, 8);
            Check(wire, expectedAccepted: null);
        },
        () => FuzzCatalog.EnvelopeSeeds().Select(wire => wire[8..]),
        () => [.. FuzzInputs.Int32Tokens(12, 16, 32, 1024)]);

    /// <summary>
    /// Arbitrary plaintext sealed under its correct msg_key, so every input reaches AES-IGE decryption and the
    /// length and padding checks behind the MAC: the library must accept exactly what the spec's layout rules allow.
    /// </summary>
    public static FuzzTarget Plaintext() => new("envelope-checks",
        "Arbitrary plaintext under its correct msg_key: TryDecrypt accepts exactly the layouts the spec allows, and the server refuses the rest with the one −404.",
        input =>
        {
            int length = input.Length / 16 * 16;
            if (length == 0)
            {
                return;
            }

            byte[] wire = new byte[MessageEnvelope.WireHeaderSize + length];
            MessageEnvelope.EncryptPlaintext(FuzzInputs.AuthKey, MessageDirection.ClientToServer, input.AsSpan(0, length), wire);
            Check(wire, expectedAccepted: LayoutAllowed(input.AsSpan(0, length)));
        },
        () => FuzzCatalog.EnvelopeSeeds().Select(Decrypt),
        () => [.. FuzzInputs.Int32Tokens(0, 4, 12, 16, 1024, 1036)]);

    /// <summary>
    /// The spec's layout rules, written out independently of the library (docs/protocol.md §2.4): a plaintext of at
    /// least 48 bytes; 0 ≤ message_data_length, a multiple of 4; padding of 12 to 1024 bytes.
    /// </summary>
    private static bool LayoutAllowed(ReadOnlySpan<byte> plaintext)
    {
        if (plaintext.Length < 48)
        {
            return false;
        }

        long length = BinaryPrimitives.ReadInt32LittleEndian(plaintext[28..]);
        long padding = plaintext.Length - 32 - length;
        return length >= 0 && length % 4 == 0 && padding is >= 12 and <= 1024;
    }

    private static void Check(byte[] wire, bool? expectedAccepted)
    {
        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        EnvelopeRejection reason = EnvelopeDiagnostics.Decrypt(FuzzInputs.AuthKey, MessageDirection.ClientToServer, wire, plaintext, out _);
        bool accepted = reason == EnvelopeRejection.None;
        if (expectedAccepted is { } expected && expected != accepted)
        {
            throw new InvariantException($"the spec's layout rules say {(expected ? "accept" : "refuse")}, the library says {reason}");
        }

        FuzzServer server = FuzzServer.Instance;
        int packets = server.Connection.PacketsSent, errors = server.Connection.ErrorsSent, sessions = server.Sessions.Count;
        EncryptedOutcome outcome = server.ProcessUnderKey(() => wire);
        bool refusedAlike = outcome is { TransportError: -404, Event: "decryption_refused", Detail: "" }
            && server.Connection.PacketsSent == packets && server.Connection.ErrorsSent == errors && server.Sessions.Count == sessions;
        if (!accepted && !refusedAlike)
        {
            throw new InvariantException($"refused for {reason}, but the server's outcome was {outcome} (sent {server.Connection.PacketsSent - packets} packets)");
        }

        if (accepted && outcome.Event == "decryption_refused")
        {
            throw new InvariantException($"the envelope accepted the message, but the server refused it: {outcome}");
        }
    }

    private static byte[] Decrypt(byte[] wire)
    {
        byte[] plaintext = new byte[wire.Length - MessageEnvelope.WireHeaderSize];
        if (!MessageEnvelope.TryDecrypt(FuzzInputs.AuthKey, MessageDirection.ClientToServer, wire, plaintext, out _))
        {
            throw new InvalidOperationException("a seed did not decrypt");
        }

        return plaintext;
    }
}
