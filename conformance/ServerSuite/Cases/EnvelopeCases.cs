using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>The encrypted message (docs/protocol.md §2): every defect refused, and all refused alike.</summary>
internal static class EnvelopeCases
{
    private const string Category = "envelope";

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("ENV-001", Category, Must, "A message under an auth_key_id the server does not know is answered with transport error -404.", "§2.4, §3.6",
            "88 random bytes whose first 8 name no key", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.ExchangeAsync(RandomNumberGenerator.GetBytes(88), c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses("88 random bytes"),
        },
        Damaged("ENV-002", "msg_key altered", "a valid ping with one bit of msg_key flipped", w => w[8] ^= 0x01),
        Damaged("ENV-003", "a bit flipped in the last ciphertext block", "a valid ping with one ciphertext bit flipped at the end", w => w[^1] ^= 0x80),
        Damaged("ENV-004", "a bit flipped in the first ciphertext block (the length field decrypts to garbage)",
            "a valid ping with one bit of its first ciphertext block flipped", w => w[MessageEnvelope.WireHeaderSize + 3] ^= 0x40),
        Extended("ENV-005", "a 16-byte block appended (Jakobsen & Orlandi's padding-length extension)", 16),
        Truncated("ENV-006", "its last 16-byte block removed", 16),
        Truncated("ENV-007", "a length that is not whole 16-byte blocks", 4),
        new("ENV-008", Category, Must, "A message shorter than auth_key_id, msg_key and 48 encrypted bytes is refused with -404.", "§2.4",
            "a 40-byte packet with the session's auth_key_id", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(1), out _)[..40];
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses("the first 40 bytes of a valid ping"),
        },
        Layout("ENV-009", "a message_data_length larger than the plaintext", data => data.Length + 64, minimumPadding: 12),
        Layout("ENV-010", "a message_data_length that is not a multiple of 4", data => data.Length - 2, minimumPadding: 12),
        Layout("ENV-011", "fewer than 12 bytes of padding", data => data.Length, minimumPadding: 0),
        Layout("ENV-012", "more than 1024 bytes of padding", data => data.Length, minimumPadding: 1025),
        new("ENV-013", Category, Must,
            "Every decryption failure gets the same answer, whichever check fails: msg_key, a garbled length, an appended block.",
            "§2.4, §3.6, §7 (length-before-MAC)", "three damaged copies of valid pings",
            "the same answer three times: transport error -404, the refusal §2.4 and §3.6 name for every envelope failure", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] badKey = probe.Seal(Probe.Ping(1), out _);
                badKey[8] ^= 1;
                byte[] badLength = probe.Seal(Probe.Ping(2), out _);
                badLength[MessageEnvelope.WireHeaderSize + 3] ^= 0x40;
                byte[] extended = [.. probe.Seal(Probe.Ping(3), out _), .. RandomNumberGenerator.GetBytes(16)];
                var answers = new List<string>();
                foreach (byte[] wire in new[] { badKey, badLength, extended })
                {
                    answers.Add((await probe.ExchangeAsync(wire, c.Cancel)).ToString());
                }

                return CaseOutcome.Check(answers.All(a => a == TransportErrors.Describe(-404)),
                    $"msg_key altered: {answers[0]}; first block damaged: {answers[1]}; block appended: {answers[2]}");
            })
        {
            Passes = "on one connection, a ping with msg_key altered, one with its first ciphertext block damaged and one with a block "
                + "appended are each answered with transport error -404. Three identical answers of any other kind (three silences, "
                + "three closed connections, three pongs) fail, as does any difference; -429: not applicable.",
        },
        new("ENV-014", "envelope", Must, "A message encrypted with the server-to-client keys (a reflected server message) is refused with -404.", "§2.2, §2.4",
            "a ping encrypted with x = 8", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] data = probe.Serialize(Probe.Ping(1));
                int padding = PaddingPolicy.MinimalLength(data.Length);
                byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
                MessageEnvelope.Encrypt(probe.Key, MessageDirection.ServerToClient, probe.Session.NextHeader(true), data, padding, wire);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses("a ping encrypted with the server-to-client keys (x = 8)"),
        },
        new("ENV-015", "envelope", Must, "Ciphertext blocks cut from one message and pasted into another are refused with -404.", "§2.4",
            "a ping whose last block is replaced by another ping's", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(1), out _), b = probe.Seal(Probe.Ping(2), out _);
                b.AsSpan(b.Length - 16).CopyTo(a.AsSpan(a.Length - 16));
                Reply reply = await probe.ExchangeAsync(a, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses("a ping whose last ciphertext block is another ping's"),
        },
        new("ENV-016", "envelope", Must, "A valid envelope whose message data is not a TL object is answered with a readable rpc_error "
            + "(never a transport error, which clients read as a lost key), and the session goes on.", "§2.4, §4.3",
            "64 random bytes as message data under a correct msg_key, then a ping", "rpc_result(rpc_error) naming it, then the pong of the ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] garbage = RandomNumberGenerator.GetBytes(64);
                BinaryPrimitives.WriteUInt32LittleEndian(garbage, 0xdeadbeef);
                EnvelopeHeader header = probe.Session.NextHeader(true);
                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(header, garbage, PaddingPolicy.MinimalLength(64)), c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(Answers.RpcError(reply, header.MsgId) is not null && Answers.Pong(after, 2),
                    $"garbage: {reply}{Answers.DescribeError(reply)}; then a ping: {after}");
            })
        {
            Passes = "the next packet after the envelope whose message data is not TL (constructor 0xdeadbeef) holds rpc_result whose "
                + "req_msg_id is that message's msg_id and whose result is rpc_error with error_code at least 400 and a non-empty "
                + "error_message (the code itself is not judged: the reference server answers 400 INPUT_METHOD_INVALID), and a ping "
                + "sent next on the same connection and session is answered with a pong carrying its ping_id. A transport error "
                + "(-404 included), a bad_msg_notification, an empty answer, silence, a closed connection, or no pong afterwards "
                + "fails; -429: not applicable.",
        },
        new("ENV-017", Category, Must, "A message padded with 1024 bytes, the most MTProto 2.0 allows, is accepted: the bound is inclusive.", "§2.1, §2.4",
            "ping_delay_disconnect (16 bytes of message data) with exactly 1024 bytes of padding", "the pong of that ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                // 16 bytes of data: header (32) + data + 1024 padding is 1072, whole blocks with no padding to spare.
                byte[] data = probe.Serialize(Probe.Call("ping_delay_disconnect", 17L, 75));
                byte[] wire = probe.SealPlaintext(probe.Session.NextHeader(contentRelated: true), data.Length, data, PaddingPolicy.MaxLength);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.Find("pong")?.Get<long>("ping_id") == 17, $"answer: {reply}");
            })
        {
            Passes = "the answer to ping_delay_disconnect(17, 75) sealed with exactly 1024 bytes of padding under a correct msg_key, on a "
                + "warm session, holds a pong with ping_id 17. -404 (the bound read as exclusive), another transport error, a "
                + "bad_msg_notification, silence or a closed connection fails; -429: not applicable.",
        },
    ];

    private static ConformanceCase Damaged(string id, string defect, string sends, Action<byte[]> damage) =>
        new(id, Category, Must, $"A message with {defect} is refused with -404 and not processed.", "§2.4", sends, "-404", async c =>
        {
            await using Probe probe = await c.WarmSessionAsync();
            byte[] wire = probe.Seal(Probe.Ping(7), out _);
            damage(wire);
            Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
            return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
        })
        {
            Passes = RefusedPasses($"a ping with {defect}"),
        };

    private static ConformanceCase Extended(string id, string defect, int bytes) =>
        new(id, Category, Must, $"A message with {defect} is refused with -404: msg_key covers the padding.", "§2.4, §7", $"a valid ping plus {bytes} random bytes",
            "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.ExchangeAsync([.. probe.Seal(Probe.Ping(7), out _), .. RandomNumberGenerator.GetBytes(bytes)], c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses($"a valid ping with {bytes} random bytes appended"),
        };

    private static ConformanceCase Truncated(string id, string defect, int bytes) =>
        new(id, Category, Must, $"A message with {defect} is refused with -404.", "§2.4", $"a valid ping with the smallest padding, without its last {bytes} bytes", "-404", async c =>
        {
            // The smallest padding, so that what the cut leaves always has a broken layout (too little padding, or a length
            // beyond the plaintext) behind a wrong msg_key: with random padding the cut often left a sound layout, and the
            // case then tested only msg_key (ENV-003's requirement) and could not tell a server that checks layout first.
            await using Probe probe = await c.WarmSessionAsync();
            byte[] data = probe.Serialize(Probe.Ping(7));
            byte[] wire = probe.Session.Encrypt(probe.Session.NextHeader(contentRelated: true), data, PaddingPolicy.MinimalLength(data.Length));
            Reply reply = await probe.ExchangeAsync(wire[..^bytes], c.Cancel);
            return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
        })
        {
            Passes = RefusedPasses($"a valid ping with the smallest padding, without its last {bytes} bytes"),
        };

    /// <summary>A plaintext with the smallest padding of at least <paramref name="minimumPadding"/> that makes whole blocks.</summary>
    private static ConformanceCase Layout(string id, string defect, Func<byte[], int> lengthField, int minimumPadding) =>
        new(id, Category, Must, $"A message with {defect}, under a correct msg_key, is refused with -404.", "§2.4",
            $"a ping whose plaintext has {defect}, msg_key computed over it", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] data = probe.Serialize(Probe.Ping(9));
                int unpadded = MessageEnvelope.PlaintextHeaderSize + data.Length + minimumPadding;
                int paddingLength = minimumPadding + ((16 - (unpadded % 16)) % 16);
                byte[] wire = probe.SealPlaintext(probe.Session.NextHeader(contentRelated: true), lengthField(data), data, paddingLength);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            })
        {
            Passes = RefusedPasses($"a ping whose plaintext has {defect} under a correct msg_key"),
        };

    private static string RefusedPasses(string sent) =>
        $"the next packet after {sent}, sent on a warm session, is transport error -404. Another transport error (-400 included), a "
        + "decrypted answer (pong, bad_msg_notification), silence or a closed connection fails; -429: not applicable.";
}
