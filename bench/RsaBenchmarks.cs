using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Handshake;

namespace Testbed.Bench;

/// <summary>The server's one RSA-2048 private operation per handshake (textbook RSA, blinded), both providers.</summary>
[MemoryDiagnoser]
public class RsaBenchmarks
{
    private readonly RsaKeyPair _key = RsaKeyPair.Generate();
    private readonly byte[] _result = new byte[256];
    private byte[] _ciphertext = [];

    [GlobalSetup]
    public void Setup() => _ciphertext = RsaPad.Encrypt(new byte[96], _key.PublicKey);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true, Description = "raw RSA-2048 private, OpenSSL (used)")]
    public bool OpenSsl() => _key.TryDecryptRaw(_ciphertext, _result);

    [Benchmark(Description = "raw RSA-2048 private, BouncyCastle blinded")]
    public bool BouncyCastle() => _key.TryDecryptPortable(_ciphertext, _result);

    [Benchmark(Description = "RSA_PAD decrypt (OpenSSL RSA + IGE + SHA-256)")]
    public RsaPadRejection RsaPadDecrypt() => RsaPad.Decrypt(_ciphertext, _key, new byte[RsaPad.PaddedLength]);
}
