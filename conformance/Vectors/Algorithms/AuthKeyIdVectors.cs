using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>auth_key_id and auth_key_aux_hash from auth_key.</summary>
internal sealed class AuthKeyIdVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-AuthKeyId";

    public IReadOnlyList<VectorField> Fields { get; } =
        [new("authKey", VectorFieldKind.Hex), new("authKeyId", VectorFieldKind.Hex), new("auxHash", VectorFieldKind.Hex)];

    public VectorOutcome Check(VectorTest test)
    {
        using var authKey = AuthKey.FromBytes(test.Hex("authKey"));
        return Compare(test, authKey) ?? VectorOutcome.Pass("auth_key_id and aux_hash");
    }

    /// <summary>Compares a key's id and aux hash with the test's authKeyId and auxHash wire bytes.</summary>
    internal static VectorOutcome? Compare(VectorTest test, AuthKey authKey) =>
        VectorOutcome.Mismatch("auth_key_id", test.Hex("authKeyId"), BitConverter.GetBytes(authKey.Id))
        ?? VectorOutcome.Mismatch("auth_key_aux_hash", test.Hex("auxHash"), BitConverter.GetBytes(authKey.AuxHash));
}
