using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Crypto;

namespace Testbed.Bench;

/// <summary>
/// One AES-256 stream per call, key schedule included. Baseline: OpenSSL AES-256-CBC encryption of the same size
/// (IGE is serial in both directions, so CBC encryption is its speed limit).
/// </summary>
[MemoryDiagnoser]
public class AesIgeBenchmarks
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _iv = RandomNumberGenerator.GetBytes(32);
    private byte[] _input = [];
    private byte[] _output = [];
    private nint _openSsl;
    private Aes _dotnetAes = null!;

    [Params(1024, 16 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = RandomNumberGenerator.GetBytes(Size);
        _output = new byte[Size];
        _openSsl = OpenSslCbc.NewContext();
        _dotnetAes = Aes.Create();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        OpenSslCbc.FreeContext(_openSsl);
        _dotnetAes.Dispose();
    }

    [Benchmark(Baseline = true, Description = "OpenSSL AES-256-CBC encrypt")]
    public void OpenSslCbcEncrypt() => OpenSslCbc.Encrypt(_openSsl, _key, _iv.AsSpan(0, 16), _input, _output);

    [Benchmark(Description = "IGE encrypt (AES-NI)")]
    public void IgeEncryptHardware() => AesIge.Encrypt(_key, _iv, _input, _output, AesIgeImplementation.Hardware);

    [Benchmark(Description = "IGE decrypt (AES-NI)")]
    public void IgeDecryptHardware() => AesIge.Decrypt(_key, _iv, _input, _output, AesIgeImplementation.Hardware);

    [Benchmark(Description = "IGE encrypt (portable, BouncyCastle)")]
    public void IgeEncryptPortable() => AesIge.Encrypt(_key, _iv, _input, _output, AesIgeImplementation.Portable);

    [Benchmark(Description = "IGE decrypt (portable, BouncyCastle)")]
    public void IgeDecryptPortable() => AesIge.Decrypt(_key, _iv, _input, _output, AesIgeImplementation.Portable);

    [Benchmark(Description = "IGE encrypt (TransformBlock loop)")]
    public void IgeEncryptTransformBlock() => TransformBlockIge.Encrypt(_key, _iv, _input, _output);

    [Benchmark(Description = ".NET Aes.EncryptCbc")]
    public void DotnetCbcEncrypt()
    {
        _dotnetAes.Key = _key;
        _dotnetAes.EncryptCbc(_input, _iv.AsSpan(0, 16), _output, PaddingMode.None);
    }
}
