namespace Testbed.Conformance.Vectors;

/// <summary>Checks the vectors of one <c>algorithm</c> against Testbed.Protocol.</summary>
internal interface IVectorAlgorithm
{
    /// <summary>The name vector files give in <c>algorithm</c>.</summary>
    string Name { get; }

    /// <summary>The fields its tests need (checked before any test runs).</summary>
    IReadOnlyList<VectorField> Fields { get; }

    /// <summary>Runs one test.</summary>
    VectorOutcome Check(VectorTest test);
}
