using System.Security.Cryptography;
using Testbed.Protocol.Crypto;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Fuzz.Targets;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzCatalog
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("envelope", "MessageEnvelope.TryDecrypt under a fixed key: never throws; refuses with a zeroed buffer; agrees with EnvelopeDiagnostics.",
            Envelope, EnvelopeSeeds, () => [.. FuzzInputs.Int32Tokens(12, 16, 32, 1024)]),
        new("tl", "TlCodec over the whole schema (MTProto + chat): TlDecodeException only, and write(read(x)) == x for every x that reads.",
            Tl, () => FuzzInputs.SessionMessages().Select(FuzzInputs.Serialize), () => [.. FuzzInputs.ConstructorIds(), .. FuzzInputs.Int32Tokens(0, 1, 254)]),
        new("rsa-pad", "RsaPad.Decrypt of any 256-byte block: a rejection or data, never an exception.", RsaPadTarget,
            () => [RsaPad.Encrypt(new byte[144], FuzzInputs.Rsa.PublicKey), RsaPad.Encrypt("short"u8, FuzzInputs.Rsa.PublicKey)], () => []),
        new("rsa-legacy", "RsaLegacyEncoding.TryDecrypt and HashMatches of any block: never an exception.", RsaLegacy,
            () => [RsaLegacyEncoding.Encrypt(new byte[96], FuzzInputs.Rsa.PublicKey)], () => []),
        Framing("framing-abridged", TransportFraming.Abridged),
        Framing("framing-intermediate", TransportFraming.Intermediate),
        Framing("framing-padded", TransportFraming.PaddedIntermediate),
        Framing("framing-full", TransportFraming.Full),
        new("framing-obfuscated", "FramingDetector.IsObfuscated, ObfuscatedInit.Open and the FrameReader of the tag's framing over the "
            + "decrypted stream: decided from 8 bytes on, a known tag or a refusal, then frames or InvalidDataException, bounded buffering.",
            Obfuscated, ObfuscatedSeeds, () => [[0xef, 0xef, 0xef, 0xef], [0xee, 0xee, 0xee, 0xee], [0xdd, 0xdd, 0xdd, 0xdd], [0, 0, 0, 0]]),
        new("gzip", "GzipPacked.TryUnpack with a 1 MiB limit: true with at most 1 MiB, or false; never an exception.", Gzip,
            () => [GzipPacked.Pack(new byte[100]), GzipPacked.Pack(FuzzInputs.Serialize(FuzzInputs.Object("ping", 1L)))], () => [[0x1f, 0x8b, 0x08]]),
        new("handshake", "HandshakeServer.Handle fed arbitrary unencrypted message data: an outcome, never an exception.", Handshake,
            HandshakeSeeds, () => [.. FuzzInputs.ConstructorIds()]),
        new("unencrypted", "UnencryptedMessage.TryRead: true with a length that fits, or false.", Unencrypted,
            () => [UnencryptedMessage.Build(4, FuzzInputs.Serialize(FuzzInputs.Object("req_pq_multi", new byte[16])))], () => []),
        new("ige-differential", "AES-NI and portable AES-IGE give identical output for any key (16/32), IV and whole blocks.", IgeDifferential,
            () => [new byte[32 + 32 + 64], Enumerable.Range(0, 16 + 32 + 48).Select(i => (byte)i).ToArray()], () => []),
        DispatchTarget.Create(),
        EnvelopeRefusalTargets.Wire(),
        EnvelopeRefusalTargets.Plaintext(),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static void Envelope(byte[] wire)
    {
        byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
        bool accepted = MessageEnvelope.TryDecrypt(FuzzInputs.AuthKey, MessageDirection.ClientToServer, wire, plaintext, out _);
        byte[] again = new byte[plaintext.Length];
        EnvelopeRejection reason = EnvelopeDiagnostics.Decrypt(FuzzInputs.AuthKey, MessageDirection.ClientToServer, wire, again, out _);
        if (accepted != (reason == EnvelopeRejection.None))
        {
            throw new InvariantException($"TryDecrypt said {accepted}, diagnostics {reason}");
        }

        if (!accepted && plaintext.Any(b => b != 0))
        {
            throw new InvariantException($"refused ({reason}) but the plaintext buffer was left filled");
        }
    }

    /// <summary>Every session message, encrypted client-to-server under <see cref="FuzzInputs.AuthKey"/>.</summary>
    internal static IEnumerable<byte[]> EnvelopeSeeds()
    {
        long msgId = 0x6000000000000004;
        foreach (TlObject message in FuzzInputs.SessionMessages())
        {
            byte[] data = FuzzInputs.Serialize(message);
            yield return Seal(data, PaddingPolicy.MinimalLength(data.Length), msgId += 4);
        }

        // The longest padding allowed (1012 bytes here, 1024 at most): one block more is a refusal.
        yield return Seal(FuzzInputs.Serialize(FuzzInputs.Object("ping", 1L)), 1012, msgId + 4);
    }

    private static byte[] Seal(byte[] data, int padding, long msgId)
    {
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
        MessageEnvelope.Encrypt(FuzzInputs.AuthKey, MessageDirection.ClientToServer, new EnvelopeHeader(1, 2, msgId, 1), data, padding, wire);
        return wire;
    }

    private static void Tl(byte[] data)
    {
        TlObject value;
        try
        {
            value = TlCodec.Testbed.Deserialize(data);
        }
        catch (TlDecodeException)
        {
            return;
        }

        if (!TlCodec.Testbed.Serialize(value).AsSpan().SequenceEqual(data))
        {
            throw new InvariantException($"{value.Combinator.Name} read from {data.Length} bytes does not write back the same bytes");
        }
    }

    private static void RsaPadTarget(byte[] input)
    {
        byte[] block = new byte[256];
        input.AsSpan(0, Math.Min(256, input.Length)).CopyTo(block);
        RsaPad.Decrypt(block, FuzzInputs.Rsa, new byte[192]);
    }

    private static void RsaLegacy(byte[] input)
    {
        byte[] block = new byte[256];
        input.AsSpan(0, Math.Min(256, input.Length)).CopyTo(block);
        byte[] decrypted = new byte[255];
        if (RsaLegacyEncoding.TryDecrypt(block, FuzzInputs.Rsa, decrypted))
        {
            RsaLegacyEncoding.HashMatches(decrypted, input.Length % 256);
        }
    }

    private static FuzzTarget Framing(string name, TransportFraming framing) =>
        new(name, $"FrameReader ({framing}) over a byte stream: frames or InvalidDataException, bounded buffering.", input => ReadFrames(input, framing),
            () => FramingSeeds(framing), () => [[0xef], [0xee, 0xee, 0xee, 0xee], [0xdd, 0xdd, 0xdd, 0xdd], [0x7f]]);

    /// <summary>Cuts frames from <paramref name="input"/> as a connection would: none larger than the limit, and only framing errors thrown.</summary>
    private static void ReadFrames(byte[] input, TransportFraming framing)
    {
        var buffer = new FrameBuffer(8 * 1024);
        var reader = new FrameReader(framing, 4096);
        if (!buffer.Append(input))
        {
            return;
        }

        try
        {
            while (buffer.TakeFrame(reader) is { } payload)
            {
                if (payload.Length > reader.MaxPayloadLength)
                {
                    throw new InvariantException($"a {payload.Length}-byte frame passed a {reader.MaxPayloadLength}-byte limit");
                }
            }
        }
        catch (InvalidDataException)
        {
            // a framing error: the connection would be closed
        }
    }

    /// <summary>
    /// The server's reading of an obfuscated stream (FramedConnection.Start): detection, the init, then the inner
    /// framing through the decrypting stream, as <see cref="Framing"/> checks it for plain streams.
    /// </summary>
    private static void Obfuscated(byte[] input)
    {
        bool? obfuscated = FramingDetector.IsObfuscated(input);
        if (input.Length >= 8 && obfuscated is null)
        {
            throw new InvariantException($"{input.Length} bytes left undecided");
        }

        if (obfuscated != true || input.Length < ObfuscatedInit.Length)
        {
            return;
        }

        byte[] init = new byte[ObfuscatedInit.Length];
        using ObfuscationCiphers ciphers = ObfuscatedInit.Open(input.AsSpan(0, ObfuscatedInit.Length), init);
        if (ObfuscatedInit.FramingOf(ObfuscatedInit.TagOf(init)) is not { } framing)
        {
            return; // an unknown tag: the connection would be closed
        }

        byte[] stream = input[ObfuscatedInit.Length..];
        ciphers.Receive.Transform(stream);
        ReadFrames(stream, framing);
    }

    private static IEnumerable<byte[]> ObfuscatedSeeds()
    {
        foreach (TransportFraming framing in new[] { TransportFraming.Abridged, TransportFraming.Intermediate, TransportFraming.PaddedIntermediate })
        {
            byte[] header = new byte[ObfuscatedInit.Length];
            using ObfuscationCiphers ciphers = ObfuscatedInit.Create(framing, 2, header);
            byte[] frames = [.. FramingSeeds(framing).First()];
            ciphers.Send.Transform(frames);
            yield return [.. header, .. frames];
        }
    }

    private static IEnumerable<byte[]> FramingSeeds(TransportFraming framing)
    {
        var writer = new FrameWriter(framing);
        foreach (int length in new[] { 4, 64, 508, 512, 1024 })
        {
            byte[] first = writer.Frame(RandomNumberGenerator.GetBytes(length));
            byte[] second = writer.Frame(RandomNumberGenerator.GetBytes(8));
            yield return [.. first, .. second];
        }
    }

    private static void Gzip(byte[] input)
    {
        if (GzipPacked.TryUnpack(input, 1 << 20, out byte[] data) && data.Length > 1 << 20)
        {
            throw new InvariantException($"unpacked {data.Length} bytes past the 1 MiB limit");
        }
    }

    private static readonly Lazy<HandshakeServer> Server = new(() =>
        new HandshakeServer(new HandshakeServerOptions { RsaKeys = [FuzzInputs.Rsa] }));

    private static void Handshake(byte[] data) => Server.Value.Handle(data);

    private static IEnumerable<byte[]> HandshakeSeeds()
    {
        var client = new HandshakeClient([FuzzInputs.Rsa.PublicKey]);
        byte[] reqPq = client.Start();
        yield return reqPq;
        if (Server.Value.Handle(reqPq) is HandshakeReply resPq)
        {
            byte[] reqDh = client.OnResPq(resPq.Response);
            yield return reqDh;
            if (Server.Value.Handle(reqDh) is HandshakeReply dh)
            {
                yield return client.OnServerDhParams(dh.Response);
            }
        }
    }

    private static void Unencrypted(byte[] input)
    {
        if (UnencryptedMessage.TryRead(input, out _, out int length, allowTrailing: false) && 20 + length != input.Length)
        {
            throw new InvariantException($"a length of {length} accepted for {input.Length} bytes");
        }
    }

    private static void IgeDifferential(byte[] input)
    {
        int keySize = input.Length > 0 && (input[0] & 1) == 1 ? 16 : 32;
        if (input.Length < keySize + 32)
        {
            return;
        }

        ReadOnlySpan<byte> key = input.AsSpan(0, keySize), iv = input.AsSpan(keySize, 32);
        ReadOnlySpan<byte> data = input.AsSpan(keySize + 32);
        data = data[..(data.Length / 16 * 16)];
        if (!AesIge.IsHardwareAccelerated || data.IsEmpty)
        {
            return;
        }

        byte[] a = new byte[data.Length], b = new byte[data.Length], c = new byte[data.Length], d = new byte[data.Length];
        AesIge.Encrypt(key, iv, data, a, AesIgeImplementation.Hardware);
        AesIge.Encrypt(key, iv, data, b, AesIgeImplementation.Portable);
        AesIge.Decrypt(key, iv, data, c, AesIgeImplementation.Hardware);
        AesIge.Decrypt(key, iv, data, d, AesIgeImplementation.Portable);
        if (!a.AsSpan().SequenceEqual(b) || !c.AsSpan().SequenceEqual(d))
        {
            throw new InvariantException("AES-NI and portable IGE disagree");
        }
    }
}
