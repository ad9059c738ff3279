using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Envelope;

namespace Testbed.Bench;

/// <summary>A whole 1 KiB message (minimal padding) and the key derivation alone.</summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private readonly AuthKey _authKey = AuthKey.FromBytes(RandomNumberGenerator.GetBytes(AuthKey.Size));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(1024);
    private readonly byte[] _msgKey = RandomNumberGenerator.GetBytes(MessageKey.Size);
    private readonly byte[] _aesKey = new byte[MessageKey.AesKeySize];
    private readonly byte[] _aesIv = new byte[MessageKey.AesIvSize];
    private readonly EnvelopeHeader _header = new(1, 2, 3, 5);
    private byte[] _wire = [];
    private byte[] _plaintext = [];
    private int _padding;

    [GlobalSetup]
    public void Setup()
    {
        _padding = PaddingPolicy.MinimalLength(_data.Length);
        _wire = new byte[MessageEnvelope.GetWireLength(_data.Length, _padding)];
        _plaintext = new byte[_wire.Length];
        MessageEnvelope.Encrypt(_authKey, MessageDirection.ClientToServer, _header, _data, _padding, _wire);
    }

    [Benchmark(Description = "envelope encrypt 1 KiB")]
    public int Encrypt() => MessageEnvelope.Encrypt(_authKey, MessageDirection.ClientToServer, _header, _data, _padding, _wire);

    [Benchmark(Description = "envelope decrypt 1 KiB")]
    public bool Decrypt() => MessageEnvelope.TryDecrypt(_authKey, MessageDirection.ClientToServer, _wire, _plaintext, out _);

    [Benchmark(Description = "msg_key over 1 KiB")]
    public void MsgKey() => MessageKey.Compute(_authKey, MessageDirection.ClientToServer, _wire.AsSpan(24), _msgKey);

    [Benchmark(Description = "aes_key/aes_iv derivation")]
    public void DeriveKeys() => MessageKey.DeriveAesKeyIv(_authKey, MessageDirection.ClientToServer, _msgKey, _aesKey, _aesIv);
}
