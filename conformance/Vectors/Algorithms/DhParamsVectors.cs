using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>Diffie-Hellman checks: the prime, then g, then the public value if the test has one.</summary>
internal sealed class DhParamsVectors : IVectorAlgorithm
{
    public string Name => "MTProto2-DhParams";

    public IReadOnlyList<VectorField> Fields { get; } = [new("dhPrime", VectorFieldKind.Hex), new("g", VectorFieldKind.Integer)];

    public VectorOutcome Check(VectorTest test)
    {
        var p = BigEndianInteger.Read(test.Hex("dhPrime"));
        DhCheck result = DhChecks.CheckPrime(p);
        if (result == DhCheck.Ok)
        {
            result = DhChecks.CheckGenerator(test.Integer("g"), p);
        }

        if (result == DhCheck.Ok && test.Has("value"))
        {
            result = DhChecks.CheckPublicValue(BigEndianInteger.Read(test.Hex("value")), p);
        }

        if (test.ExpectValid)
        {
            return result == DhCheck.Ok ? VectorOutcome.Pass("accepted") : VectorOutcome.Fail($"refused: {result}");
        }

        return result == DhCheck.Ok ? VectorOutcome.Fail("accepted a value the vector calls invalid") : VectorOutcome.Refused(test, result.ToString());
    }
}
