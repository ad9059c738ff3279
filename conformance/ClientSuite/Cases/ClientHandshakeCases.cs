using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// Creating an auth key (docs/protocol.md §5), from the client's side: each case bends one answer of the reference
/// handshake and checks that the client stops there, never sending the next query and never using a key. The bad
/// values come from vectors/mtproto2_dh_params.json where it has them (ids named beside each case).
/// </summary>
internal static class ClientHandshakeCases
{
    private const string Stop = "stops: never sends the next handshake query, never sends anything encrypted";

    private static readonly BigInteger Margin = BigInteger.One << (2048 - 64);

    public static IEnumerable<ClientCase> All() =>
    [
        Refuses("CHS-001", "resPQ's nonce must be the client's own.", "§5.1",
            "resPQ with a nonce that is not the client's", new() { ResPq = r => r.With("nonce", RandomNumberGenerator.GetBytes(16)) }, "req_DH_params"),
        Refuses("CHS-002", "The client uses only a pinned RSA key: resPQ offering no fingerprint it knows ends the handshake.", "§5.2",
            "resPQ whose only fingerprint is a random one", new() { ResPq = r => r.With("server_public_key_fingerprints", new[] { RandomLong() }) },
            "req_DH_params"),
        Refuses("CHS-003", "pq must be the product of two primes; a client that splits it otherwise is talking to an impostor.", "§5.1",
            "resPQ whose pq is the product of three primes (1009 × 1000003 × 1000033)",
            new() { ResPq = r => r.With("pq", BigEndianInteger.ToMinimalBytes(1009UL * 1000003 * 1000033)) }, "req_DH_params"),
        Refuses("CHS-004", "pq is below 2^63; a larger one is not the protocol's.", "§5.1",
            "resPQ whose pq is a product of two primes just above 2^31.5, so between 2^63 and 2^64",
            new() { ResPq = r => r.With("pq", BigEndianInteger.ToMinimalBytes(LargePq.Value)) }, "req_DH_params", RequirementLevel.Should),
        Refuses("CHS-005", "server_DH_params_fail ends the handshake.", "§5.3",
            "server_DH_params_fail (with its correct new_nonce_hash) instead of server_DH_params_ok",
            new() { ServerDhParams = ParamsFail }, "set_client_DH_params"),
        Refuses("CHS-006", "server_DH_params_ok must carry resPQ's server_nonce.", "§5.3",
            "server_DH_params_ok with another server_nonce", new() { ServerDhParams = (a, _) => a.With("server_nonce", RandomNumberGenerator.GetBytes(16)) },
            "set_client_DH_params"),
        Refuses("CHS-007", "The SHA-1 in front of server_DH_inner_data must match it.", "§5.3",
            "server_DH_params_ok whose encrypted answer has one bit of its SHA-1 flipped", new() { CorruptAnswerHash = true }, "set_client_DH_params"),
        Refuses("CHS-008", "dh_prime is 2048 bits (vector dh-prime-2047-bits).", "§5.4",
            "dh_prime of 2047 bits, g = 4, a g_a inside the margins for it", Prime("dh-prime-2047-bits"), "set_client_DH_params"),
        Refuses("CHS-009", "dh_prime is prime (vector dh-prime-composite).", "§5.4",
            "dh_prime = the published prime + 2 (composite), g = 4", Prime("dh-prime-composite"), "set_client_DH_params"),
        Refuses("CHS-010", "dh_prime is a safe prime: (p-1)/2 prime too (vector dh-prime-not-safe).", "§5.4",
            "a 2048-bit prime whose (p-1)/2 is composite, g = 4", Prime("dh-prime-not-safe"), "set_client_DH_params"),
        Refuses("CHS-011", "g is one of 2..7 (vector dh-generator-8).", "§5.4",
            "g = 8 with the published prime, g_a = 8^a", Generator(8), "set_client_DH_params"),
        Refuses("CHS-012", "g generates the subgroup of order (p-1)/2: 2 needs p mod 8 = 7 (vector dh-generator-2).", "§5.4",
            "g = 2 with the published prime (p mod 8 ≠ 7), g_a = 2^a", Generator(2), "set_client_DH_params"),
        Refuses("CHS-013", "1 < g_a < dh_prime - 1 (vector dh-value-one).", "§5.4", "g_a = 1", PublicValue(_ => BigInteger.One), "set_client_DH_params"),
        Refuses("CHS-014", "1 < g_a < dh_prime - 1 (vector dh-value-p-minus-1).", "§5.4", "g_a = dh_prime - 1",
            PublicValue(p => p - 1), "set_client_DH_params"),
        Refuses("CHS-015", "g_a is at least 2^(2048-64) (vector dh-value-below-low-margin).", "§5.4", "g_a = 2^1984 - 1",
            PublicValue(_ => Margin - 1), "set_client_DH_params"),
        Refuses("CHS-016", "g_a is at most dh_prime - 2^(2048-64) (vector dh-value-above-high-margin).", "§5.4", "g_a = dh_prime - 2^1984 + 1",
            PublicValue(p => p - Margin + 1), "set_client_DH_params"),
        KeyRefused("CHS-017", "dh_gen_ok's new_nonce_hash1 must match; a client that keeps the key anyway shares it with nobody it knows.", "§5.5",
            "dh_gen_ok with one bit of new_nonce_hash1 flipped", new() { DhGen = (a, _) => a.With("new_nonce_hash1", Flipped(a.Get<byte[]>("new_nonce_hash1"))) }),
        KeyRefused("CHS-018", "dh_gen_fail ends the handshake without a key.", "§5.5",
            "dh_gen_fail (with its correct new_nonce_hash3) instead of dh_gen_ok", new() { DhGen = GenFail }),
        new("CHS-019", "handshake", RequirementLevel.Must, "dh_gen_retry makes the client send set_client_DH_params again with retry_id = the refused key's aux_hash.",
            "§5.5", "dh_gen_retry once (as when the key's id is taken), then dh_gen_ok for the second attempt",
            "a second set_client_DH_params whose retry_id the reference server accepts, then a working session", Retry)
        {
            Passes = "two set_client_DH_params were sent, the shim reported the auth key the server made, and a ping was answered",
        },
        new("CHS-020", "handshake", RequirementLevel.Must, "A correct handshake gives the client the key the server made (the suite's control).", "§5",
            "a correct handshake, then a ping", "the shim reports the server's auth key id and the pong", Control)
        {
            Passes = "the shim's auth_key id is the id of the key the server made, and it delivered a pong",
        },
        new("CHS-021", "handshake", RequirementLevel.Must,
            "The client finds its pinned key whatever the fingerprint's value: one whose hex begins with zeros is as good as any.", "§5.2",
            "a correct handshake under a key whose fingerprint is 0009ded8ad9859de (vector rsa-fingerprint-leading-zeros), then a ping",
            "the shim reports the server's auth key id and the pong", LeadingZeroFingerprint)
        {
            Passes = "the client sent req_DH_params for that fingerprint, the shim's auth_key id is the id of the key the server made, and it delivered a pong",
        },
    ];

    /// <summary>
    /// A test key whose fingerprint is 0009ded8ad9859de, shipped with the suite (ClientSuite/Cases/Keys): a fingerprint
    /// is the low 64 bits of a SHA-1, so 1 key in 16 begins with a zero hex digit, and a client that loses the zeros
    /// when it looks the key up cannot talk to such a server. The run's own key never begins with one
    /// (<see cref="RsaKeyPair.GenerateWithoutLeadingZeroFingerprint"/>), so the defect fails this case and no other.
    /// </summary>
    internal static readonly Lazy<RsaKeyPair> LeadingZeroFingerprintKey = new(() =>
    {
        using Stream stream = typeof(ClientHandshakeCases).Assembly.GetManifestResourceStream("leading-zero-fingerprint.pem")
            ?? throw new InvalidOperationException("the embedded leading-zero-fingerprint.pem is missing");
        using var reader = new StreamReader(stream);
        return RsaKeyPair.FromPem(reader.ReadToEnd());
    });

    // Two primes near 2^31.5 (3,037,000,499.98): their product lies between 2^63 and 2^64, so it still fits resPQ's 8 bytes.
    private static readonly Lazy<ulong> LargePq = new(() => NextPrime(3_037_000_600) * NextPrime(3_100_000_000));

    private static ClientCase Refuses(string id, string requirement, string reference, string sends, HandshakeDeviation deviation, string next,
        RequirementLevel level = RequirementLevel.Must) =>
        new(id, "handshake", level, requirement, reference, sends, $"the client {Stop}", async run =>
        {
            ClientObservation o = await run.RunAsync("handshake,ping:1", new HostileScript { Handshake = deviation }, o => o.Log.Sent(next));
            return !o.Log.Sent("req_pq_multi") && !o.Log.Sent("req_pq")
                ? CaseOutcome.NotReached($"the client never started a handshake; {o.Summary()}")
                : CaseOutcome.Check(!o.Log.Sent(next) && o.Log.Packets.Count == 0,
                    $"{(o.Log.Sent(next) ? $"the client went on with {next}" : $"no {next}")}; {o.Summary()}");
        })
        {
            Passes = $"the client sent req_pq_multi but never {next} on any connection, and no encrypted packet",
        };

    private static ClientCase KeyRefused(string id, string requirement, string reference, string sends, HandshakeDeviation deviation) =>
        new(id, "handshake", RequirementLevel.Must, requirement, reference, sends, "the client never uses the key: nothing encrypted under it", async run =>
        {
            ClientObservation o = await run.RunAsync("handshake,ping:1", new HostileScript { Handshake = deviation }, o => o.Log.Packets.Count > 0);
            return !o.Log.Sent("set_client_DH_params")
                ? CaseOutcome.NotReached($"the client never reached set_client_DH_params; {o.Summary()}")
                : CaseOutcome.Check(o.Log.Packets.Count == 0 && !o.HasSession,
                    $"{(o.Log.Packets.Count > 0 ? "the client sent encrypted packets under the refused key" : "nothing encrypted")}; {o.Summary()}");
        })
        {
            Passes = "the client sent set_client_DH_params, then no encrypted packet, and the shim reported no auth key the server made",
        };

    private static async Task<CaseOutcome> Retry(ClientCaseRun run)
    {
        ClientObservation o = await run.RunAsync("handshake,ping:1", new HostileScript { Handshake = new() { Retries = 1 } });
        int attempts = o.Log.Handshake.Count(h => h.Query == "set_client_DH_params");
        bool pong = o.All("pong").Any();
        return CaseOutcome.Check(attempts >= 2 && o.HasSession && pong, $"set_client_DH_params sent {attempts} time(s); {o.Summary()}");
    }

    private static async Task<CaseOutcome> Control(ClientCaseRun run)
    {
        ClientObservation o = await run.RunAsync("handshake,ping:1");
        bool pong = o.All("pong").Any();
        return CaseOutcome.Check(o.HasSession && pong, $"{(o.HasSession ? "same key on both sides" : "no key shared")}; {o.Summary()}");
    }

    private static async Task<CaseOutcome> LeadingZeroFingerprint(ClientCaseRun run)
    {
        RsaKeyPair key = LeadingZeroFingerprintKey.Value;
        ClientObservation o = await run.RunAsync("handshake,ping:1", serverKey: key);
        bool pong = o.All("pong").Any();
        string found = o.Log.Sent("req_DH_params")
            ? o.HasSession ? "same key on both sides" : "req_DH_params sent, but no key shared"
            : $"resPQ offered {(ulong)key.PublicKey.Fingerprint:x16} and the client never sent req_DH_params";
        return CaseOutcome.Check(o.HasSession && pong, $"{found}; {o.Summary()}");
    }

    private static TlObject ParamsFail(TlObject ok, HandshakeSecrets secrets)
    {
        byte[] hash = new byte[NewNonceHash.Size];
        NewNonceHash.ComputeForParamsFail(secrets.NewNonce, hash);
        return new TlObject(TlSchema.MTProto["server_DH_params_fail"], ok.Get<byte[]>("nonce"), ok.Get<byte[]>("server_nonce"), hash);
    }

    private static TlObject GenFail(TlObject ok, HandshakeSecrets secrets)
    {
        using var key = AuthKey.FromBytes(secrets.AuthKey);
        byte[] aux = new byte[8], hash = new byte[NewNonceHash.Size];
        BinaryPrimitives.WriteInt64LittleEndian(aux, key.AuxHash);
        NewNonceHash.Compute(secrets.NewNonce, 3, aux, hash);
        return new TlObject(TlSchema.MTProto["dh_gen_fail"], ok.Get<byte[]>("nonce"), ok.Get<byte[]>("server_nonce"), hash);
    }

    /// <summary>A bad dh_prime from the vectors, with g = 4 (no residue condition) and a g_a inside that prime's margins.</summary>
    private static HandshakeDeviation Prime(string vectorId)
    {
        BigInteger prime = DhVectors.Prime(vectorId);
        return new() { Dh = _ => new DhValues(4, prime, PublicValueFor(4, prime)) };
    }

    private static HandshakeDeviation Generator(int g) =>
        new() { Dh = v => v with { G = g, GA = PublicValueFor(g, v.Prime) } };

    private static HandshakeDeviation PublicValue(Func<BigInteger, BigInteger> value) =>
        new() { Dh = v => v with { GA = value(v.Prime) } };

    /// <summary>g^a mod p for a random a, drawn again until it lies inside the 2^(2048-64) margins (as a server's must).</summary>
    private static BigInteger PublicValueFor(int g, BigInteger p)
    {
        for (int attempt = 0; attempt < 64; attempt++)
        {
            BigInteger value = BigInteger.ModPow(g, BigEndianInteger.Read(RandomNumberGenerator.GetBytes(256)), p);
            if (value > Margin && value < p - Margin)
            {
                return value;
            }
        }

        throw new InvalidOperationException("no g_a inside the margins in 64 draws");
    }

    private static ulong NextPrime(ulong from)
    {
        ulong n = from | 1;
        while (!DhChecks.IsProbablePrime(n))
        {
            n += 2;
        }

        return n;
    }

    private static byte[] Flipped(byte[] bytes)
    {
        byte[] copy = [.. bytes];
        copy[0] ^= 0x01;
        return copy;
    }

    private static long RandomLong() => BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
}
