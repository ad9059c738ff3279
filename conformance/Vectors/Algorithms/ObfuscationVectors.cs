using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>
/// The obfuscated init header (docs/protocol.md §6.1): the header sealed from its init, the keys derived from it, the
/// tag the server decrypts, and the first bytes of each direction through the two AES-256-CTR streams.
/// </summary>
internal sealed class ObfuscationVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-Obfuscation";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("init", VectorFieldKind.Hex), new("header", VectorFieldKind.Hex), new("tag", VectorFieldKind.Hex),
        new("clientKey", VectorFieldKind.Hex), new("clientIv", VectorFieldKind.Hex), new("serverKey", VectorFieldKind.Hex), new("serverIv", VectorFieldKind.Hex),
        new("clientPlain", VectorFieldKind.Hex), new("clientCipher", VectorFieldKind.Hex),
        new("serverPlain", VectorFieldKind.Hex), new("serverCipher", VectorFieldKind.Hex),
    ];

    public VectorOutcome Check(VectorTest test)
    {
        byte[] header = test.Hex("header");
        byte[] sealedHeader = new byte[ObfuscatedInit.Length];
        ObfuscatedInit.Seal(test.Hex("init"), sealedHeader).Dispose();
        byte[] serverKeyAndIv = new byte[48];
        ObfuscatedInit.ServerKeyAndIv(header, serverKeyAndIv);
        byte[] init = new byte[ObfuscatedInit.Length];
        using ObfuscationCiphers server = ObfuscatedInit.Open(header, init);
        byte[] clientPlain = test.Hex("clientCipher");
        server.Receive.Transform(clientPlain);
        byte[] serverCipher = test.Hex("serverPlain");
        server.Send.Transform(serverCipher);
        return VectorOutcome.Mismatch("header", header, sealedHeader)
            ?? VectorOutcome.Mismatch("client key and IV", [.. test.Hex("clientKey"), .. test.Hex("clientIv")], header.AsSpan(8, 48))
            ?? VectorOutcome.Mismatch("server key and IV", [.. test.Hex("serverKey"), .. test.Hex("serverIv")], serverKeyAndIv)
            ?? VectorOutcome.Mismatch("tag", test.Hex("tag"), ObfuscatedInit.TagOf(init).ToArray())
            ?? VectorOutcome.Mismatch("client bytes decrypted", test.Hex("clientPlain"), clientPlain)
            ?? VectorOutcome.Mismatch("server bytes encrypted", test.Hex("serverCipher"), serverCipher)
            ?? VectorOutcome.Pass("header, keys, tag and both streams");
    }
}
