using Testbed.Server.Tests;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Tests;

/// <summary>
/// Writes vectors/mtproto2_envelope.json: whole encrypted messages under the auth_key of the public auth-key worked
/// example, one valid message per layout edge and one invalid message per defect, each defect alone. Everything is
/// deterministic (fixed header, fixed padding bytes), so the shipped file must equal this output; the test that
/// checks that also regenerates the file when TESTBED_UPDATE_VECTORS=1.
/// </summary>
internal static class EnvelopeVectorGenerator
{
    private const long MsgId = 0x65c4_ad51_3a5e_1f04; // 2024-02-08 20:45:05 UTC + a fraction, client class (0 mod 4)
    private const long ServerMsgId = 0x65c4_ad51_3a5e_2001; // a server response id (1 mod 4)
    private static readonly byte[] SaltBytes = Convert.FromHexString("49a6747298503dce");
    private static readonly byte[] SessionBytes = Convert.FromHexString("5e55104e0c1d2a33");

    public static string Build()
    {
        byte[] authKeyBytes = SampleAuthKey();
        using var authKey = AuthKey.FromBytes(authKeyBytes);
        TlSchema schema = TlSchema.MTProto;
        byte[] ping = TlCodec.MTProto.Serialize(new TlObject(schema["ping"], 0x1122334455667788L));
        byte[] pong = TlCodec.MTProto.Serialize(new TlObject(schema["pong"], MsgId, 0x1122334455667788L));

        var valid = new JsonArray
        {
            Valid(authKey, "envelope-valid-ping", "ping, minimal padding", MsgId, 1, ping, PaddingPolicy.MinimalLength(ping.Length)),
            Valid(authKey, "envelope-valid-padding-12", "exactly 12 bytes of padding, the least allowed", MsgId, 1, new byte[36], 12),
            Valid(authKey, "envelope-valid-padding-1024", "exactly 1024 bytes of padding, the most allowed", MsgId, 1, new byte[16], 1024),
            Valid(authKey, "envelope-valid-empty-data", "message_data_length 0 and 16 bytes of padding", MsgId, 2, [], 16),
            Valid(authKey, "envelope-valid-random-padding", "ping with 3 extra padding blocks", MsgId, 1, ping, PaddingPolicy.MinimalLength(ping.Length) + 48),
        };
        var serverValid = new JsonArray
        {
            Valid(authKey, "envelope-valid-server-pong", "pong from the server, x = 8", ServerMsgId, 1, pong,
                PaddingPolicy.MinimalLength(pong.Length), MessageDirection.ServerToClient),
        };

        byte[] baseWire = Encrypt(authKey, MessageDirection.ClientToServer, Plaintext(MsgId, 1, ping, ping.Length, 20));
        var invalid = new JsonArray
        {
            Invalid("envelope-msg-key-bit-flip", "one bit of msg_key flipped", ["MsgKey"], FlipBit(baseWire, 8 + 5, 3), "MsgKeyMismatch"),
            Invalid("envelope-ciphertext-first-block-bit-flip", "one bit flipped in the first encrypted block", ["Tamper"], FlipBit(baseWire, 24, 0), "MsgKeyMismatch"),
            Invalid("envelope-ciphertext-last-block-bit-flip", "one bit flipped in the last encrypted block (padding)", ["Tamper"], FlipBit(baseWire, baseWire.Length - 1, 7), "MsgKeyMismatch"),
            Invalid("envelope-block-appended", "a 16-byte block appended (padding-length extension)", ["Extension"], [.. baseWire, .. new byte[16]], "MsgKeyMismatch"),
            Invalid("envelope-block-removed", "the last block removed", ["Truncation"], baseWire[..^16], "MsgKeyMismatch"),
            Invalid("envelope-wrong-auth-key-id", "auth_key_id of another key", ["AuthKeyId"], FlipBit(baseWire, 0, 0), "AuthKeyIdMismatch"),
            Invalid("envelope-too-short", "auth_key_id, msg_key and two blocks: below the 48-byte minimum", ["Truncation"], baseWire[..(24 + 32)], "TooShort"),
            Invalid("envelope-not-block-aligned", "one byte removed", ["Truncation"], baseWire[..^1], "NotBlockAligned"),
            Invalid("envelope-wrong-direction", "a valid client message decrypted with the server-to-client keys", ["Direction"], baseWire, "MsgKeyMismatch", "server-to-client"),
            DefectInvalid(authKey, "envelope-padding-0", "0 bytes of padding, msg_key valid", ["Padding"], Plaintext(MsgId, 1, new byte[16], 16, 0), "PaddingTooShort"),
            DefectInvalid(authKey, "envelope-padding-4", "4 bytes of padding, msg_key valid", ["Padding"], Plaintext(MsgId, 1, new byte[12], 12, 4), "PaddingTooShort"),
            DefectInvalid(authKey, "envelope-padding-8", "8 bytes of padding, msg_key valid", ["Padding"], Plaintext(MsgId, 1, new byte[8], 8, 8), "PaddingTooShort"),
            DefectInvalid(authKey, "envelope-padding-1044", "1044 bytes of padding, msg_key valid", ["Padding"], Plaintext(MsgId, 1, ping, ping.Length, 1044), "PaddingTooLong"),
            DefectInvalid(authKey, "envelope-length-not-multiple-of-4", "message_data_length 13, msg_key valid", ["Length"], Plaintext(MsgId, 1, ping, 13, 20), "LengthNotMultipleOf4"),
            DefectInvalid(authKey, "envelope-length-past-end", "message_data_length 4 bytes past the plaintext, msg_key valid", ["Length"], Plaintext(MsgId, 1, ping, 12 + 20 + 4, 20), "LengthOutOfBounds"),
            DefectInvalid(authKey, "envelope-length-negative", "message_data_length -4, msg_key valid", ["Length"], Plaintext(MsgId, 1, ping, -4, 20), "LengthOutOfBounds"),
        };

        var file = new JsonObject
        {
            ["algorithm"] = "MTProto2-Envelope",
            ["schemaVersion"] = 1,
            ["numberOfTests"] = valid.Count + serverValid.Count + invalid.Count,
            ["header"] = new JsonArray(
                "Whole MTProto 2.0 encrypted messages (docs/protocol.md §2): auth_key_id | msg_key | AES-256-IGE(plaintext).",
                "A valid test must decrypt to salt, sessionId (wire bytes), msgId, seqNo and messageData.",
                "An invalid test must be refused; reason names the check that refuses it (Testbed.Protocol.Envelope.EnvelopeRejection).",
                "Every invalid message has exactly one defect. Those flagged Padding or Length carry a correct msg_key over their",
                "defective plaintext, so only a receiver that checks the layout after msg_key refuses them.",
                "Generated by conformance/tests/EnvelopeVectorGenerator.cs; padding bytes are (i * 37 + 11) mod 256."),
            ["notes"] = new JsonObject
            {
                ["MsgKey"] = "msg_key altered on the wire.",
                ["Tamper"] = "Ciphertext altered on the wire.",
                ["Extension"] = "Ciphertext extended (Jakobsen & Orlandi 2016: padding not covered by the MAC).",
                ["Truncation"] = "Ciphertext shortened.",
                ["AuthKeyId"] = "auth_key_id does not name the key.",
                ["Direction"] = "Decrypted with the keys of the other direction.",
                ["Padding"] = "Padding outside 12..1024 under a correct msg_key.",
                ["Length"] = "message_data_length impossible under a correct msg_key.",
            },
            ["sources"] = new JsonArray(
                new JsonObject
                {
                    ["id"] = "testbed",
                    ["description"] = "Generated by this project with the auth_key of the public auth-key worked example (vectors/mtproto2_auth_key_creation.json); the key derivation and AES-IGE it uses are checked by the other vector files.",
                    ["reference"] = "conformance/tests/EnvelopeVectorGenerator.cs",
                }),
            ["testGroups"] = new JsonArray(
                Group("client messages", authKeyBytes, "client-to-server", valid),
                Group("server messages", authKeyBytes, "server-to-client", serverValid),
                Group("defective client messages, each defect alone", authKeyBytes, "client-to-server", invalid)),
        };
        return file.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static byte[] SampleAuthKey()
    {
        JsonNode sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Vectors, "mtproto2_auth_key_creation.json")))!;
        return Convert.FromHexString((string)sample["testGroups"]![0]!["tests"]![0]!["authKey"]!);
    }

    private static JsonObject Group(string comment, byte[] authKey, string direction, JsonArray tests) => new()
    {
        ["source"] = "testbed",
        ["comment"] = comment,
        ["authKey"] = Convert.ToHexStringLower(authKey),
        ["direction"] = direction,
        ["tests"] = tests,
    };

    /// <summary>A plaintext whose length field says <paramref name="declaredLength"/> whatever data follows.</summary>
    private static byte[] Plaintext(long msgId, int seqNo, byte[] data, int declaredLength, int paddingLength)
    {
        byte[] plaintext = new byte[MessageEnvelope.PlaintextHeaderSize + data.Length + paddingLength];
        var header = new EnvelopeHeader(BinaryPrimitives.ReadInt64LittleEndian(SaltBytes), BinaryPrimitives.ReadInt64LittleEndian(SessionBytes), msgId, seqNo);
        MessageEnvelope.WritePlaintextHeader(plaintext, header, declaredLength);
        data.CopyTo(plaintext, MessageEnvelope.PlaintextHeaderSize);
        for (int i = 0; i < paddingLength; i++)
        {
            plaintext[MessageEnvelope.PlaintextHeaderSize + data.Length + i] = (byte)((i * 37) + 11);
        }

        return plaintext;
    }

    private static byte[] Encrypt(AuthKey authKey, MessageDirection direction, byte[] plaintext)
    {
        byte[] wire = new byte[MessageEnvelope.WireHeaderSize + plaintext.Length];
        MessageEnvelope.EncryptPlaintext(authKey, direction, plaintext, wire);
        return wire;
    }

    private static JsonObject Valid(AuthKey authKey, string id, string comment, long msgId, int seqNo, byte[] data, int padding,
        MessageDirection direction = MessageDirection.ClientToServer) => new()
    {
        ["id"] = id,
        ["comment"] = comment,
        ["flags"] = new JsonArray(),
        ["wire"] = Convert.ToHexStringLower(Encrypt(authKey, direction, Plaintext(msgId, seqNo, data, data.Length, padding))),
        ["salt"] = Convert.ToHexStringLower(SaltBytes),
        ["sessionId"] = Convert.ToHexStringLower(SessionBytes),
        ["msgId"] = msgId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["seqNo"] = seqNo,
        ["messageData"] = Convert.ToHexStringLower(data),
        ["result"] = "valid",
    };

    private static JsonObject Invalid(string id, string comment, string[] flags, byte[] wire, string reason, string? direction = null)
    {
        var test = new JsonObject
        {
            ["id"] = id,
            ["comment"] = comment,
            ["flags"] = new JsonArray(flags.Select(f => (JsonNode)f).ToArray()),
            ["wire"] = Convert.ToHexStringLower(wire),
            ["result"] = "invalid",
            ["reason"] = reason,
        };
        if (direction is not null)
        {
            test["direction"] = direction;
        }

        return test;
    }

    private static JsonObject DefectInvalid(AuthKey authKey, string id, string comment, string[] flags, byte[] plaintext, string reason) =>
        Invalid(id, comment, flags, Encrypt(authKey, MessageDirection.ClientToServer, plaintext), reason);

    private static byte[] FlipBit(byte[] wire, int index, int bit)
    {
        byte[] copy = (byte[])wire.Clone();
        copy[index] ^= (byte)(1 << bit);
        return copy;
    }
}
