using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Sessions;

namespace Testbed.Protocol.Tests;

public sealed class SessionPartsTests
{
    private static readonly byte[] Secret = Generators.BytesFrom(7, 32);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 10, 0, TimeSpan.Zero);

    [Fact]
    public void A_salt_is_accepted_for_its_period_and_the_next_one_only()
    {
        var salts = new ServerSaltSchedule(Secret);
        long salt = salts.Current(42, Now);
        Assert.True(salts.IsAccepted(42, salt, Now));
        Assert.True(salts.IsAccepted(42, salt, Now.AddMinutes(30)));
        Assert.NotEqual(salt, salts.Current(42, Now.AddMinutes(30)));
        Assert.False(salts.IsAccepted(42, salt, Now.AddMinutes(60)));
        Assert.False(salts.IsAccepted(43, salt, Now));
    }

    [Fact]
    public void The_same_secret_gives_the_same_salts_and_another_secret_others()
    {
        Assert.Equal(new ServerSaltSchedule(Secret).Current(1, Now), new ServerSaltSchedule(Secret).Current(1, Now));
        Assert.NotEqual(new ServerSaltSchedule(Secret).Current(1, Now), new ServerSaltSchedule(Generators.BytesFrom(8, 32)).Current(1, Now));
        Assert.Throws<ArgumentException>(() => new ServerSaltSchedule(new byte[16]));
    }

    [Property]
    public Property Future_salts_start_with_the_current_one_and_tile_time() =>
        Prop.ForAll(Gen.Choose(1, 64).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (count, seconds) =>
        {
            var salts = new ServerSaltSchedule(Secret);
            DateTimeOffset now = DateTimeOffset.FromUnixTimeSeconds(seconds);
            IReadOnlyList<FutureSalt> future = salts.Future(5, now, count);
            return future.Count == count
                && future[0].Salt == salts.Current(5, now)
                && future[0].ValidSince <= seconds && seconds < future[0].ValidUntil
                && future.Zip(future.Skip(1)).All(p => p.First.ValidUntil == p.Second.ValidSince);
        });

    [Fact]
    public void A_client_session_talks_to_the_envelope_layer_in_both_directions()
    {
        using var key = AuthKey.FromBytes(Generators.BytesFrom(9, AuthKey.Size));
        var session = new ClientSession(key, salt: 77);
        (byte[] first, EnvelopeHeader firstHeader) = session.Encrypt(new byte[12], contentRelated: true);
        (byte[] second, EnvelopeHeader secondHeader) = session.Encrypt(new byte[8], contentRelated: false);
        Assert.True(secondHeader.MsgId > firstHeader.MsgId);
        Assert.Equal((1, 2), (firstHeader.SeqNo, secondHeader.SeqNo));

        byte[] plaintext = new byte[first.Length];
        Assert.True(MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, first, plaintext, out DecryptedEnvelope received));
        Assert.Equal(firstHeader, received.Header);
        Assert.Equal(77, received.Header.Salt);
        Assert.False(session.TryDecrypt(second, out _, out _)); // a client message does not decrypt as a server message

        var reply = new EnvelopeHeader(77, session.SessionId, firstHeader.MsgId + 1, 1);
        byte[] wire = new byte[MessageEnvelope.GetWireLength(4, 28)];
        MessageEnvelope.Encrypt(key, MessageDirection.ServerToClient, reply, [1, 2, 3, 4], 28, wire);
        Assert.True(session.TryDecrypt(wire, out EnvelopeHeader header, out byte[] data));
        Assert.Equal(reply, header);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, data);
    }
}

public sealed class GzipPackedTests
{
    [Property(MaxTest = 100)]
    public Property Pack_then_unpack_gives_the_data_back() =>
        Prop.ForAll(Generators.Bytes(0, 5000).ToArbitrary(), data =>
            Messages.GzipPacked.TryUnpack(Messages.GzipPacked.Pack(data), 5000, out byte[] back) && back.AsSpan().SequenceEqual(data));

    [Fact]
    public void A_decompression_bomb_stops_at_the_limit_and_garbage_is_refused()
    {
        byte[] bomb = Messages.GzipPacked.Pack(new byte[50 << 20]); // 50 MiB of zeros packs to ~50 KiB
        Assert.True(bomb.Length < 100_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(Messages.GzipPacked.TryUnpack(bomb, 1 << 20, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "unpacking must stop near the limit");
        Assert.False(Messages.GzipPacked.TryUnpack([1, 2, 3, 4, 5], 1 << 20, out _));
    }
}
