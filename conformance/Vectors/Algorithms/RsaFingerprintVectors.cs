using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>The fingerprint of an RSA public key given as PEM.</summary>
internal sealed class RsaFingerprintVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-RsaFingerprint";

    public IReadOnlyList<VectorField> Fields { get; } = [new("pem", VectorFieldKind.Text), new("fingerprint", VectorFieldKind.Hex)];

    public VectorOutcome Check(VectorTest test)
    {
        RsaPublicKey key = RsaPublicKey.FromPem(test.Text("pem"));
        return VectorOutcome.Mismatch("fingerprint", test.Hex("fingerprint"), BitConverter.GetBytes(key.Fingerprint))
            ?? VectorOutcome.Pass($"fingerprint {key.Fingerprint:x16}");
    }
}
