using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Handshake;

namespace Testbed.Protocol.Tests;

/// <summary>
/// Pending handshakes as records in a store: what a cluster's nodes share so that a handshake's steps may reach
/// different nodes (docs/cluster.md, "Pending handshakes"). Two servers on one store stand for two nodes.
/// </summary>
public sealed class PendingHandshakeStoreTests
{
    private static readonly RsaKeyPair ServerKey = RsaKeyPair.Generate();

    private static readonly Gen<PendingHandshake> States =
        from nonces in Generators.Bytes(32)
        from pq in Gen.Choose(0, int.MaxValue)
        from stage in Gen.Elements(Enum.GetValues<HandshakeStage>())
        from newNonce in Generators.Bytes(0, 32)
        from secret in Generators.Bytes(0, 256)
        from dc in Gen.Choose(-5, 5).Select(v => v == 0 ? (int?)null : v)
        from expiresIn in Gen.Choose(0, 86_400).Select(v => v == 0 ? (int?)null : v)
        from retryId in Gen.Choose(int.MinValue, int.MaxValue)
        from failure in Gen.Elements<string?>(null, "g_b refused: TooSmall", "retry_id ✗")
        from answers in Gen.ListOf(Gen.Zip(Generators.Bytes(4, 400), Generators.Bytes(1, 700)), 3)
        select Build(nonces, pq, stage, newNonce, secret, dc, expiresIn, retryId, failure, answers);

    [Property(MaxTest = 200)]
    public Property A_record_reads_back_as_the_state_that_wrote_it() =>
        Prop.ForAll(States.ToArbitrary(), pending =>
        {
            byte[] record = pending.ToRecord();
            PendingHandshake? read = PendingHandshake.FromRecord(record);
            return (read is not null && read.ToRecord().AsSpan().SequenceEqual(record)).ToProperty();
        });

    [Property(MaxTest = 200)]
    public Property A_cut_or_lengthened_record_reads_as_none(int cut) =>
        Prop.ForAll(States.ToArbitrary(), pending =>
        {
            byte[] record = pending.ToRecord();
            int length = Math.Abs(cut % record.Length);
            return (PendingHandshake.FromRecord(record[..length]) is null && PendingHandshake.FromRecord([.. record, 0]) is null).ToProperty();
        });

    [Fact]
    public void A_handshake_completes_with_each_step_on_another_server_of_one_store()
    {
        var store = new InMemoryPendingHandshakeStore(TimeProvider.System);
        HandshakeServer first = NewServer(store), second = NewServer(store), third = NewServer(store);
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(HandshakeFlowTests.Reply(first.Handle(client.Start())));
        byte[] setDh = client.OnServerDhParams(HandshakeFlowTests.Reply(second.Handle(reqDh)));
        var completed = Assert.IsType<HandshakeCompleted>(third.Handle(setDh));
        Assert.Equal(completed.AuthKey, Assert.IsType<HandshakeClientDone>(client.OnDhGen(completed.Response)).AuthKey);

        // An identical re-send on another server gets the same answer, and no second key.
        Assert.Equal(completed.Response, Assert.IsType<HandshakeReply>(first.Handle(setDh)).Response);
    }

    [Fact]
    public void Servers_with_stores_of_their_own_refuse_a_step_begun_on_the_other()
    {
        HandshakeServer first = NewServer(), second = NewServer();
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(HandshakeFlowTests.Reply(first.Handle(client.Start())));
        Assert.Equal(-404, Assert.IsType<HandshakeTransportError>(second.Handle(reqDh)).Code);
    }

    [Fact]
    public void Copies_of_one_step_racing_on_two_servers_advance_the_handshake_once()
    {
        var store = new InMemoryPendingHandshakeStore(TimeProvider.System);
        HandshakeServer[] servers = [NewServer(store), NewServer(store)];
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(HandshakeFlowTests.Reply(servers[0].Handle(client.Start())));

        // Each copy that loses the race reads the winner's record and gets its answer: one g_a, one DH secret.
        byte[][] answers = new byte[8][];
        Parallel.For(0, answers.Length, i => answers[i] = HandshakeFlowTests.Reply(servers[i % 2].Handle(reqDh)));
        Assert.All(answers, answer => Assert.Equal(answers[0], answer));
        byte[] setDh = client.OnServerDhParams(answers[0]);
        Assert.IsType<HandshakeCompleted>(servers[1].Handle(setDh));
    }

    /// <summary>
    /// A step whose write loses to another step runs again on the newer state; the record it could not write holds
    /// the DH secret it drew, and nothing else will ever wipe it. (With the wipe removed, this fails.)
    /// </summary>
    [Fact]
    public void A_step_that_loses_the_race_wipes_the_record_it_could_not_write()
    {
        var store = new LosesFirstReplace(new InMemoryPendingHandshakeStore(TimeProvider.System));
        HandshakeServer server = NewServer(store);
        var client = new HandshakeClient([ServerKey.PublicKey]);
        byte[] reqDh = client.OnResPq(HandshakeFlowTests.Reply(server.Handle(client.Start())));
        byte[] setDh = client.OnServerDhParams(HandshakeFlowTests.Reply(server.Handle(reqDh)));
        var completed = Assert.IsType<HandshakeCompleted>(server.Handle(setDh));
        Assert.Equal(completed.AuthKey, Assert.IsType<HandshakeClientDone>(client.OnDhGen(completed.Response)).AuthKey);

        byte[] refused = Assert.IsType<byte[]>(store.Refused);
        Assert.True(refused.Length > 256 && refused.All(b => b == 0), "the refused record still holds its bytes");
    }

    [Fact]
    public void A_store_that_cannot_be_reached_gets_minus_404()
    {
        HandshakeServer server = NewServer(new UnreachableStore());
        var error = Assert.IsType<HandshakeTransportError>(server.Handle(new HandshakeClient([ServerKey.PublicKey]).Start()));
        Assert.Equal(-404, error.Code);
        Assert.Contains("cannot be reached", error.Reason, StringComparison.Ordinal);
    }

    private static HandshakeServer NewServer(IPendingHandshakeStore? store = null) =>
        new(new HandshakeServerOptions { RsaKeys = [ServerKey], PendingStore = store });

    private static PendingHandshake Build(byte[] nonces, int pq, HandshakeStage stage, byte[] newNonce, byte[] secret, int? dc,
        int? expiresIn, int retryId, string? failure, IEnumerable<(byte[] Query, byte[] Response)> answers)
    {
        var pending = new PendingHandshake(nonces[..16], nonces[16..], (ulong)pq * 3, (uint)pq, 3, DateTimeOffset.FromUnixTimeMilliseconds(1_796_000_000_000))
        {
            Stage = stage,
            NewNonce = newNonce,
            Secret = new BigInteger(secret, isUnsigned: true, isBigEndian: true),
            DataCenter = dc,
            ExpiresIn = expiresIn,
            ExpectedRetryId = retryId,
            FailureReason = failure,
        };
        newNonce.AsSpan(0, Math.Min(newNonce.Length, 32)).CopyTo(pending.TmpKey);
        foreach ((byte[] query, byte[] response) in answers)
        {
            pending.Remember(query, response);
        }

        return pending;
    }

    /// <summary>A store whose first replacement fails as if another step had written first; it keeps that record.</summary>
    private sealed class LosesFirstReplace(IPendingHandshakeStore inner) : IPendingHandshakeStore
    {
        public byte[]? Refused { get; private set; }

        public bool TryAdd(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> serverNonce, byte[] record, TimeSpan lifetime) =>
            inner.TryAdd(nonce, serverNonce, record, lifetime);

        public StoredHandshake? Find(ReadOnlySpan<byte> serverNonce) => inner.Find(serverNonce);

        public byte[]? FindServerNonce(ReadOnlySpan<byte> nonce) => inner.FindServerNonce(nonce);

        public bool TryReplace(ReadOnlySpan<byte> serverNonce, long version, byte[] record)
        {
            if (Refused is null)
            {
                Refused = record;
                return false;
            }

            return inner.TryReplace(serverNonce, version, record);
        }
    }

    private sealed class UnreachableStore : IPendingHandshakeStore
    {
        public bool TryAdd(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> serverNonce, byte[] record, TimeSpan lifetime) => throw Down();

        public StoredHandshake? Find(ReadOnlySpan<byte> serverNonce) => throw Down();

        public byte[]? FindServerNonce(ReadOnlySpan<byte> nonce) => throw Down();

        public bool TryReplace(ReadOnlySpan<byte> serverNonce, long version, byte[] record) => throw Down();

        private static IOException Down() => new("connection refused");
    }
}
