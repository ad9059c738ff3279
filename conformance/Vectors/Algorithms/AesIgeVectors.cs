using Testbed.Protocol.Crypto;

namespace Testbed.Conformance.Vectors.Algorithms;

/// <summary>AES-IGE: encrypt(msg) = ct and decrypt(ct) = msg on every implementation this machine has.</summary>
internal sealed class AesIgeVectors : IVectorAlgorithm
{
    public string Name => "AES-IGE";

    public IReadOnlyList<VectorField> Fields { get; } =
    [
        new("key", VectorFieldKind.Hex), new("iv", VectorFieldKind.Hex), new("msg", VectorFieldKind.Hex),
        new("ct", VectorFieldKind.Hex, OnlyForValid: true),
    ];

    public VectorOutcome Check(VectorTest test)
    {
        byte[] key = test.Hex("key"), iv = test.Hex("iv"), msg = test.Hex("msg");
        if (!test.ExpectValid)
        {
            try
            {
                AesIge.Encrypt(key, iv, msg, new byte[msg.Length]);
                return VectorOutcome.Fail("encryption accepted input the vector calls invalid");
            }
            catch (ArgumentException e)
            {
                return VectorOutcome.Refused(test, e.GetType().Name);
            }
        }

        byte[] ct = test.Hex("ct");
        foreach (AesIgeImplementation implementation in Implementations())
        {
            byte[] output = new byte[msg.Length];
            AesIge.Encrypt(key, iv, msg, output, implementation);
            VectorOutcome? mismatch = VectorOutcome.Mismatch($"{implementation} encrypt", ct, output);
            if (mismatch is not null)
            {
                return mismatch;
            }

            AesIge.Decrypt(key, iv, ct, output, implementation);
            mismatch = VectorOutcome.Mismatch($"{implementation} decrypt", msg, output);
            if (mismatch is not null)
            {
                return mismatch;
            }
        }

        return VectorOutcome.Pass($"both directions on {string.Join(" and ", Implementations())}");
    }

    private static IEnumerable<AesIgeImplementation> Implementations()
    {
        if (AesIge.IsHardwareAccelerated)
        {
            yield return AesIgeImplementation.Hardware;
        }

        yield return AesIgeImplementation.Portable;
    }
}
