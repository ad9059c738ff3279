using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>MTProto 2.0 aes_key / aes_iv from auth_key and msg_key.</summary>
internal sealed class KdfVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-KDF";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("authKey", VectorFieldKind.Hex), new("x", VectorFieldKind.Integer), new("msgKey", VectorFieldKind.Hex),
        new("aesKey", VectorFieldKind.Hex), new("aesIv", VectorFieldKind.Hex),
    ];

    public VectorOutcome Check(VectorTest test)
    {
        using var authKey = AuthKey.FromBytes(test.Hex("authKey"));
        var direction = (MessageDirection)test.Integer("x");
        byte[] aesKey = new byte[MessageKey.AesKeySize], aesIv = new byte[MessageKey.AesIvSize];
        MessageKey.DeriveAesKeyIv(authKey, direction, test.Hex("msgKey"), aesKey, aesIv);
        return VectorOutcome.Mismatch("aes_key", test.Hex("aesKey"), aesKey)
            ?? VectorOutcome.Mismatch("aes_iv", test.Hex("aesIv"), aesIv)
            ?? VectorOutcome.Pass($"aes_key and aes_iv for x = {(int)direction}");
    }
}
