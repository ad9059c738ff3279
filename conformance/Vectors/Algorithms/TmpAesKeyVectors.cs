using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>tmp_aes_key / tmp_aes_iv from new_nonce and server_nonce.</summary>
internal sealed class TmpAesKeyVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-TmpAesKey";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("serverNonce", VectorFieldKind.Hex), new("newNonce", VectorFieldKind.Hex),
        new("tmpAesKey", VectorFieldKind.Hex), new("tmpAesIv", VectorFieldKind.Hex),
    ];

    public VectorOutcome Check(VectorTest test) =>
        Compare(test) ?? VectorOutcome.Pass("tmp_aes_key and tmp_aes_iv");

    /// <summary>Derives from the test's nonces and compares with its tmpAesKey and tmpAesIv.</summary>
    internal static VectorOutcome? Compare(VectorTest test)
    {
        byte[] key = new byte[32], iv = new byte[32];
        TmpAesKey.Derive(test.Hex("newNonce"), test.Hex("serverNonce"), key, iv);
        return VectorOutcome.Mismatch("tmp_aes_key", test.Hex("tmpAesKey"), key)
            ?? VectorOutcome.Mismatch("tmp_aes_iv", test.Hex("tmpAesIv"), iv);
    }
}
