using Testbed.Protocol.Envelope;

namespace Testbed.Protocol.Client;

/// <summary>
/// Opens a server packet for <see cref="MtProtoClient"/> (docs/protocol.md §2): our auth_key_id, msg_key verified in
/// constant time before anything of the plaintext is read, keys derived with x = 8 (server to client), the length
/// and padding checked. Two faults loosen it for the conformance suite: <see cref="ClientFaults.NoMsgKeyCheck"/>
/// skips the msg_key comparison and <see cref="ClientFaults.AcceptReflected"/> also tries x = 0, taking the
/// client's own packets sent back.
/// </summary>
internal static class ServerEnvelope
{
    /// <summary>The header and message_data of <paramref name="wire"/>; false when it is no valid message for us.</summary>
    public static bool TryOpen(AuthKey authKey, ClientFaults faults, ReadOnlySpan<byte> wire, out EnvelopeHeader header, out byte[] messageData)
    {
        bool verify = !faults.HasFlag(ClientFaults.NoMsgKeyCheck);
        return TryOpen(authKey, MessageDirection.ServerToClient, verify, wire, out header, out messageData)
            || (faults.HasFlag(ClientFaults.AcceptReflected)
                && TryOpen(authKey, MessageDirection.ClientToServer, verify, wire, out header, out messageData));
    }

    private static bool TryOpen(AuthKey authKey, MessageDirection direction, bool verifyMsgKey, ReadOnlySpan<byte> wire,
        out EnvelopeHeader header, out byte[] messageData)
    {
        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        if (MessageEnvelope.Decrypt(authKey, direction, wire, plaintext, out DecryptedEnvelope envelope, verifyMsgKey) != EnvelopeRejection.None)
        {
            header = default;
            messageData = [];
            return false;
        }

        header = envelope.Header;
        messageData = envelope.MessageData(plaintext).ToArray();
        return true;
    }
}
