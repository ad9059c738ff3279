using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// A server's RSA public key as MTProto uses it: its modulus and exponent, and its fingerprint, the low 64 bits of
/// <c>SHA1(rsa_public_key n:string e:string)</c> (docs/protocol.md §5.2).
/// </summary>
public sealed class RsaPublicKey
{
    /// <summary>Creates a key from big-endian modulus and exponent bytes.</summary>
    public RsaPublicKey(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        Modulus = BigEndianInteger.Read(modulus);
        Exponent = BigEndianInteger.Read(exponent);
        if (Modulus.IsZero || Exponent.IsZero)
        {
            throw new ArgumentException("RSA modulus and exponent must be positive.");
        }

        ModulusBytes = TrimLeadingZeros(modulus);
        ExponentBytes = TrimLeadingZeros(exponent);
        Fingerprint = ComputeFingerprint(ModulusBytes, ExponentBytes);
    }

    /// <summary>n.</summary>
    public BigInteger Modulus { get; }

    /// <summary>e.</summary>
    public BigInteger Exponent { get; }

    /// <summary>n as minimal big-endian bytes.</summary>
    public byte[] ModulusBytes { get; }

    /// <summary>e as minimal big-endian bytes.</summary>
    public byte[] ExponentBytes { get; }

    /// <summary>The fingerprint: <c>SHA1(serialized key)[12:20]</c> read as a little-endian <c>long</c>, as the wire carries it.</summary>
    public long Fingerprint { get; }

    /// <summary>Reads a PEM public key: PKCS#1 (<c>BEGIN RSA PUBLIC KEY</c>, as Telegram publishes) or SubjectPublicKeyInfo.</summary>
    public static RsaPublicKey FromPem(string pem)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: false);
        return new RsaPublicKey(parameters.Modulus, parameters.Exponent);
    }

    /// <summary>The key as PKCS#1 PEM (<c>BEGIN RSA PUBLIC KEY</c>).</summary>
    public string ToPem()
    {
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = ModulusBytes, Exponent = ExponentBytes });
        return rsa.ExportRSAPublicKeyPem();
    }

    private static long ComputeFingerprint(byte[] modulus, byte[] exponent)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TlWriter(buffer);
        writer.WriteBytes(modulus);
        writer.WriteBytes(exponent);
        Span<byte> sha1 = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(buffer.WrittenSpan, sha1);
        return BinaryPrimitives.ReadInt64LittleEndian(sha1[12..]);
    }

    private static byte[] TrimLeadingZeros(ReadOnlySpan<byte> bytes)
    {
        int first = bytes.IndexOfAnyExcept((byte)0);
        return first < 0 ? [0] : bytes[first..].ToArray();
    }
}
