using System.Numerics;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Handshake;

namespace Testbed.Bench;

/// <summary>
/// The server's CPU cost of creating one auth key, step by step, against the big-number work it cannot avoid,
/// measured in the same run: one RSA-2048 private operation (req_DH_params) and two 2048-bit exponentiations
/// (g^a, then g_b^a). Each server step is timed alone: [IterationSetup] plays the client up to it.
/// </summary>
[InvocationCount(1, 1)]
public class HandshakeBenchmarks
{
    private readonly RsaKeyPair _key = RsaKeyPair.Generate();
    private readonly byte[] _rsaCiphertext = new byte[256];
    private readonly byte[] _rsaResult = new byte[256];
    private readonly BigInteger _secret = BigEndianInteger.Read(RandomNumberGenerator.GetBytes(256));
    private HandshakeServer _server = null!;
    private byte[] _query = [];

    [GlobalSetup]
    public void Setup()
    {
        _server = new HandshakeServer(new HandshakeServerOptions { RsaKeys = [_key], MaxPending = 1_000_000 });
        RsaPad.Encrypt(new byte[96], _key.PublicKey).CopyTo(_rsaCiphertext, 0);
        DhChecks.CheckPrime(DhGroup.PublishedPrime); // the client's prime check is cached from here on
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [IterationSetup(Target = nameof(ServerReqPq))]
    public void BeforeReqPq() => _query = new HandshakeClient([_key.PublicKey]).Start();

    [Benchmark(Description = "server step 1: req_pq_multi -> resPQ")]
    public HandshakeOutcome ServerReqPq() => _server.Handle(_query);

    [IterationSetup(Target = nameof(ServerReqDhParams))]
    public void BeforeReqDhParams()
    {
        var client = new HandshakeClient([_key.PublicKey]);
        _query = client.OnResPq(Reply(_server.Handle(client.Start())));
    }

    [Benchmark(Description = "server step 2: req_DH_params -> server_DH_params_ok")]
    public HandshakeOutcome ServerReqDhParams() => _server.Handle(_query);

    [IterationSetup(Target = nameof(ServerSetClientDhParams))]
    public void BeforeSetClientDhParams()
    {
        var client = new HandshakeClient([_key.PublicKey]);
        _query = client.OnServerDhParams(Reply(_server.Handle(client.OnResPq(Reply(_server.Handle(client.Start()))))));
    }

    [Benchmark(Description = "server step 3: set_client_DH_params -> dh_gen_ok")]
    public HandshakeOutcome ServerSetClientDhParams() => _server.Handle(_query);

    [Benchmark(Description = "reference: OpenSSL RSA-2048 private")]
    public bool ReferenceRsa() => _key.TryDecryptRaw(_rsaCiphertext, _rsaResult);

    [Benchmark(Description = "reference: OpenSSL 2048-bit modexp")]
    public byte[] ReferenceModPow() => DhExchange.PublicValue(DhGroup.PublishedGenerator, _secret, DhGroup.PublishedPrime);

    private static byte[] Reply(HandshakeOutcome outcome) => ((HandshakeReply)outcome).Response;
}
