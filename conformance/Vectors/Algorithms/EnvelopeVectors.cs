using System.Buffers.Binary;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>
/// Whole encrypted messages: a valid one must decrypt to the given header and message_data; an invalid one must be
/// refused, for the given reason (<see cref="EnvelopeRejection"/>).
/// </summary>
internal sealed class EnvelopeVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-Envelope";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("authKey", VectorFieldKind.Hex), new("direction", VectorFieldKind.Text), new("wire", VectorFieldKind.Hex),
        new("salt", VectorFieldKind.Hex, OnlyForValid: true), new("sessionId", VectorFieldKind.Hex, OnlyForValid: true),
        new("msgId", VectorFieldKind.Decimal, OnlyForValid: true), new("seqNo", VectorFieldKind.Integer, OnlyForValid: true),
        new("messageData", VectorFieldKind.Hex, OnlyForValid: true),
    ];

    /// <summary>The direction names vector files use.</summary>
    internal static MessageDirection ParseDirection(VectorTest test) => test.Text("direction") switch
    {
        "client-to-server" => MessageDirection.ClientToServer,
        "server-to-client" => MessageDirection.ServerToClient,
        string other => throw test.Error($"direction must be client-to-server or server-to-client, not '{other}'."),
    };

    public VectorOutcome Check(VectorTest test)
    {
        using var authKey = AuthKey.FromBytes(test.Hex("authKey"));
        byte[] wire = test.Hex("wire");
        byte[] plaintext = new byte[Math.Max(wire.Length - MessageEnvelope.WireHeaderSize, 0)];
        EnvelopeRejection rejection = EnvelopeDiagnostics.Decrypt(authKey, ParseDirection(test), wire, plaintext, out DecryptedEnvelope envelope);
        bool publicVerdict = MessageEnvelope.TryDecrypt(authKey, ParseDirection(test), wire, new byte[plaintext.Length], out _);
        if (publicVerdict != (rejection == EnvelopeRejection.None))
        {
            return VectorOutcome.Fail($"TryDecrypt said {publicVerdict} while the diagnostic said {rejection}");
        }

        if (!test.ExpectValid)
        {
            return rejection == EnvelopeRejection.None
                ? VectorOutcome.Fail("accepted a message the vector calls invalid")
                : VectorOutcome.Refused(test, rejection.ToString());
        }

        if (rejection != EnvelopeRejection.None)
        {
            return VectorOutcome.Fail($"refused a valid message: {rejection}");
        }

        EnvelopeHeader header = envelope.Header;
        return VectorOutcome.Mismatch("salt", test.Hex("salt"), LittleEndian(header.Salt))
            ?? VectorOutcome.Mismatch("session_id", test.Hex("sessionId"), LittleEndian(header.SessionId))
            ?? VectorOutcome.Mismatch("message_data", test.Hex("messageData"), envelope.MessageData(plaintext))
            ?? (header.MsgId == test.Decimal("msgId") && header.SeqNo == test.Integer("seqNo")
                ? VectorOutcome.Pass($"decrypted: msg_id {header.MsgId}, seq_no {header.SeqNo}, {envelope.MessageDataLength} data bytes, {envelope.PaddingLength} padding")
                : VectorOutcome.Fail($"msg_id/seq_no: expected {test.Decimal("msgId")}/{test.Integer("seqNo")}, got {header.MsgId}/{header.SeqNo}"));
    }

    private static byte[] LittleEndian(long value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }
}
