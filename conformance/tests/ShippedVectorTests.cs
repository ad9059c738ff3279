using Testbed.Conformance.ClientSuite.Cases;
using Testbed.Conformance.Vectors;
using Testbed.Protocol.Handshake;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>Every shipped vector is one test case.</summary>
public sealed class ShippedVectorTests
{
    private static readonly Lazy<Dictionary<string, VectorTest>> Tests =
        new(() => VectorCatalog.Load([RepositoryPaths.Vectors]).SelectMany(f => f.Tests).ToDictionary(t => t.Id));

    public static TheoryData<string> VectorIds() => new(Tests.Value.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(VectorIds))]
    public void Vector_behaves_as_its_file_says(string id)
    {
        VectorTest test = Tests.Value[id];
        VectorOutcome outcome = VectorCatalog.Check(test);
        Assert.True(outcome.Passed, $"{test.File}: {id}: {outcome.Detail}");
    }

    [Fact]
    public void Every_required_file_is_shipped()
    {
        string[] algorithms = VectorCatalog.Load([RepositoryPaths.Vectors]).Select(f => f.Algorithm).ToArray();
        Assert.Equal(VectorCatalog.AlgorithmNames.Order(StringComparer.Ordinal), algorithms.Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>CHS-021's private key is the one whose public half the vector rsa-fingerprint-leading-zeros holds.</summary>
    [Fact]
    public void The_client_suite_s_leading_zero_key_is_the_vector_s()
    {
        VectorTest vector = Tests.Value["rsa-fingerprint-leading-zeros"];
        RsaPublicKey shipped = RsaPublicKey.FromPem(vector.Text("pem"));
        RsaPublicKey served = ClientHandshakeCases.LeadingZeroFingerprintKey.Value.PublicKey;
        Assert.Equal(shipped.Fingerprint, served.Fingerprint);
        Assert.Equal("0009ded8ad9859de", $"{(ulong)served.Fingerprint:x16}");
    }

    [Fact]
    public void Envelope_vectors_equal_the_generator_output()
    {
        string path = Path.Combine(RepositoryPaths.Vectors, "mtproto2_envelope.json");
        string generated = EnvelopeVectorGenerator.Build();
        if (Environment.GetEnvironmentVariable("TESTBED_UPDATE_VECTORS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        Assert.Equal(generated, File.ReadAllText(path));
    }
}
