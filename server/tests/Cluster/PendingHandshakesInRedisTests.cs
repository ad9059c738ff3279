using System.Net;
using System.Security.Cryptography;
using Testbed.Protocol.Handshake;
using Testbed.Server.Cluster;

namespace Testbed.Server.Tests.Cluster;

/// <summary>
/// The cluster's pending handshakes as Redis holds them (docs/cluster.md, "Pending handshakes"): sealed, so that a
/// record Redis handed back changed, or sealed under another cluster's secret, is refused, and kept no longer than the
/// pending lifetime. Handshake servers in this process stand for nodes, on the cluster's real Redis.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class PendingHandshakesInRedisTests(ClusterFixture fixture) : IDisposable
{
    private static readonly RsaKeyPair ServerKey = RsaKeyPair.Generate();
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly RespConnectionPool _pool = new(IPEndPoint.Parse(fixture.Cluster.Redis), null, TimeSpan.FromSeconds(5));
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void A_step_on_a_node_with_another_secret_finds_the_record_unreadable()
    {
        (HandshakeClient client, HandshakeServer first) = (NewClient(), NewServer(_secret));
        byte[] reqDh = client.OnResPq(Reply(first.Handle(client.Start())));
        var refused = Assert.IsType<HandshakeTransportError>(NewServer(RandomNumberGenerator.GetBytes(32)).Handle(reqDh));
        Assert.Contains("unreadable", refused.Reason, StringComparison.Ordinal);
        Assert.IsType<HandshakeReply>(NewServer(_secret).Handle(reqDh));
    }

    [Fact]
    public void A_record_changed_in_Redis_is_refused()
    {
        (HandshakeClient client, HandshakeServer server) = (NewClient(), NewServer(_secret));
        byte[] resPq = Reply(server.Handle(client.Start()));
        byte[] reqDh = client.OnResPq(resPq);
        string key = "tb:pending:s:" + Convert.ToHexStringLower(resPq.AsSpan(4 + 16, 16));
        string value = _pool.Use(c => c.Call("GET", key)) ?? throw new Xunit.Sdk.XunitException($"{key} is not in Redis");

        // One character of the base64 ciphertext, near its end, changed: the version and the rest stay as they were.
        char[] changed = value.ToCharArray();
        int at = changed.Length - 8;
        changed[at] = changed[at] == 'A' ? 'B' : 'A';
        _pool.Use(c => c.Call("SET", key, new string(changed), "KEEPTTL"));

        var refused = Assert.IsType<HandshakeTransportError>(server.Handle(reqDh));
        Assert.Contains("unreadable", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nonce_entry_that_names_no_server_nonce_is_refused_with_minus_404()
    {
        HandshakeClient client = NewClient();
        byte[] reqPq = client.Start();
        string key = "tb:pending:n:" + Convert.ToHexStringLower(reqPq.AsSpan(4, 16));
        _pool.Use(c => c.Call("SET", key, new string('z', 32), "EX", "30"));
        var refused = Assert.IsType<HandshakeTransportError>(NewServer(_secret).Handle(reqPq));
        Assert.Equal(-404, refused.Code);
    }

    [Fact]
    public void A_record_and_its_nonce_expire_with_the_pending_lifetime()
    {
        (HandshakeClient client, HandshakeServer server) = (NewClient(), NewServer(_secret));
        byte[] resPq = Reply(server.Handle(client.Start()));
        foreach (string key in new[] { "tb:pending:s:" + Convert.ToHexStringLower(resPq.AsSpan(4 + 16, 16)),
                     "tb:pending:n:" + Convert.ToHexStringLower(resPq.AsSpan(4, 16)) })
        {
            long milliseconds = long.Parse(_pool.Use(c => c.Call("PTTL", key))!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(milliseconds, 1, (long)Lifetime.TotalMilliseconds);
        }
    }

    public void Dispose() => _pool.Dispose();

    private HandshakeServer NewServer(byte[] secret) =>
        new(new HandshakeServerOptions { RsaKeys = [ServerKey], PendingLifetime = Lifetime, PendingStore = new RedisPendingHandshakes(_pool, secret) });

    private static HandshakeClient NewClient() => new([ServerKey.PublicKey]);

    private static byte[] Reply(HandshakeOutcome outcome) => outcome switch
    {
        HandshakeReply reply => reply.Response,
        HandshakeCompleted completed => completed.Response,
        HandshakeTransportError error => throw new Xunit.Sdk.XunitException($"refused with {error.Code}: {error.Reason}"),
        _ => throw new InvalidOperationException(),
    };
}
