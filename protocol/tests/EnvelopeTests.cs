using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Envelope;

namespace Testbed.Protocol.Tests;

public sealed class EnvelopeTests
{
    private sealed record Message(byte[] AuthKey, MessageDirection Direction, EnvelopeHeader Header, byte[] Data, int Padding)
    {
        public byte[] Encrypt()
        {
            using var key = Protocol.Envelope.AuthKey.FromBytes(AuthKey);
            byte[] wire = new byte[MessageEnvelope.GetWireLength(Data.Length, Padding)];
            Assert.Equal(wire.Length, MessageEnvelope.Encrypt(key, Direction, Header, Data, Padding, wire));
            return wire;
        }

        public EnvelopeRejection Decrypt(byte[] wire, out DecryptedEnvelope envelope, out byte[] plaintext, MessageDirection? direction = null)
        {
            using var key = Protocol.Envelope.AuthKey.FromBytes(AuthKey);
            plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
            return EnvelopeDiagnostics.Decrypt(key, direction ?? Direction, wire, plaintext, out envelope);
        }
    }

    private static readonly Gen<Message> Messages =
        from authKey in Generators.Bytes(AuthKey.Size)
        from direction in Gen.Elements(MessageDirection.ClientToServer, MessageDirection.ServerToClient)
        from salt in ArbMap.Default.GeneratorFor<long>()
        from session in ArbMap.Default.GeneratorFor<long>()
        from msgId in ArbMap.Default.GeneratorFor<long>()
        from seqNo in ArbMap.Default.GeneratorFor<int>()
        from words in Gen.Choose(0, 300)
        from data in Generators.Bytes(words * 4)
        from extraBlocks in Gen.Choose(0, 62)
        select new Message(authKey, direction, new EnvelopeHeader(salt, session, msgId, seqNo), data,
            PaddingPolicy.FixedExtraBlocks(extraBlocks).ChooseLength(data.Length));

    [Property(MaxTest = 200)]
    public Property Decrypt_recovers_header_and_data_in_both_directions() =>
        Prop.ForAll(Messages.ToArbitrary(), message =>
        {
            byte[] wire = message.Encrypt();
            EnvelopeRejection rejection = message.Decrypt(wire, out DecryptedEnvelope envelope, out byte[] plaintext);
            return rejection == EnvelopeRejection.None
                && envelope.Header == message.Header
                && envelope.MessageData(plaintext).SequenceEqual(message.Data)
                && envelope.PaddingLength == message.Padding;
        });

    [Property(MaxTest = 300)]
    public Property Any_single_bit_flip_is_rejected() =>
        Prop.ForAll(Messages.ToArbitrary(), Generators.Seed.ToArbitrary(), (message, seed) =>
        {
            byte[] wire = message.Encrypt();
            int bit = seed % (wire.Length * 8);
            wire[bit / 8] ^= (byte)(1 << (bit % 8));
            EnvelopeRejection rejection = message.Decrypt(wire, out _, out byte[] plaintext);
            return (rejection is EnvelopeRejection.MsgKeyMismatch or EnvelopeRejection.AuthKeyIdMismatch && plaintext.All(b => b == 0))
                .Label($"bit {bit} of {wire.Length * 8}: {rejection}");
        });

    [Property(MaxTest = 200)]
    public Property Truncation_to_any_length_is_rejected() =>
        Prop.ForAll(Messages.ToArbitrary(), Generators.Seed.ToArbitrary(), (message, seed) =>
        {
            byte[] wire = message.Encrypt();
            int length = seed % wire.Length;
            EnvelopeRejection rejection = message.Decrypt(wire[..length], out _, out _);
            return (rejection != EnvelopeRejection.None).Label($"{length} of {wire.Length} bytes: {rejection}");
        });

    [Property(MaxTest = 200)]
    public Property Extension_by_any_bytes_is_rejected() =>
        Prop.ForAll(Messages.ToArbitrary(), Generators.Bytes(1, 64).ToArbitrary(), (message, extra) =>
        {
            EnvelopeRejection rejection = message.Decrypt([.. message.Encrypt(), .. extra], out _, out _);
            return rejection is EnvelopeRejection.MsgKeyMismatch or EnvelopeRejection.NotBlockAligned;
        });

    [Property(MaxTest = 100)]
    public Property The_other_directions_keys_do_not_decrypt() =>
        Prop.ForAll(Messages.ToArbitrary(), message =>
        {
            MessageDirection other = message.Direction == MessageDirection.ClientToServer
                ? MessageDirection.ServerToClient
                : MessageDirection.ClientToServer;
            return message.Decrypt(message.Encrypt(), out _, out _, other) == EnvelopeRejection.MsgKeyMismatch;
        });

    [Property(MaxTest = 100)]
    public Property Try_decrypt_agrees_with_the_diagnostic_and_hides_the_reason() =>
        Prop.ForAll(Messages.ToArbitrary(), Generators.Seed.ToArbitrary(), (message, seed) =>
        {
            byte[] wire = message.Encrypt();
            if (seed % 2 == 0)
            {
                wire[seed % wire.Length] ^= 0x80;
            }

            using var key = AuthKey.FromBytes(message.AuthKey);
            bool accepted = MessageEnvelope.TryDecrypt(key, message.Direction, wire, new byte[wire.Length], out _);
            return accepted == (message.Decrypt(wire, out _, out _) == EnvelopeRejection.None);
        });

    [Property(MaxTest = 500)]
    public Property Arbitrary_bytes_are_refused_without_an_exception() =>
        Prop.ForAll(Generators.Bytes(0, 300).ToArbitrary(), Generators.Bytes(AuthKey.Size).ToArbitrary(), (wire, authKey) =>
        {
            using var key = AuthKey.FromBytes(authKey);
            if (wire.Length >= 8 && wire[0] % 2 == 0)
            {
                key.WriteId(wire); // half the inputs name the key, so they get as far as the msg_key check
            }

            byte[] plaintext = new byte[Math.Max(0, wire.Length - MessageEnvelope.WireHeaderSize)];
            return !MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, wire, plaintext, out _)
                && plaintext.All(b => b == 0);
        });

    [Property(MaxTest = 200)]
    public Property Padding_policies_always_choose_a_conforming_length() =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(0, 62).ToArbitrary(), (words, blocks) =>
        {
            int length = words * 4;
            return new[] { PaddingPolicy.Minimal, PaddingPolicy.Default, PaddingPolicy.RandomExtraBlocks(blocks), PaddingPolicy.FixedExtraBlocks(blocks) }
                .Select(p => p.ChooseLength(length))
                .All(padding => padding is >= 12 and <= 1024 && (32 + length + padding) % 16 == 0);
        });

    [Theory]
    [InlineData(13, 19)]
    [InlineData(16, 0)]
    [InlineData(16, 4)]
    [InlineData(16, 1040)]
    [InlineData(16, 17)]
    public void Encrypt_refuses_non_conforming_layouts(int dataLength, int padding)
    {
        using var key = AuthKey.FromBytes(new byte[AuthKey.Size]);
        Assert.Throws<ArgumentException>(() => MessageEnvelope.Encrypt(key, MessageDirection.ClientToServer, default,
            new byte[dataLength], padding, new byte[4096]));
    }

    [Fact]
    public void Encrypt_and_decrypt_allocate_nothing_in_steady_state()
    {
        using var key = AuthKey.FromBytes(Generators.BytesFrom(1, AuthKey.Size));
        byte[] data = new byte[1024];
        byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, 32)];
        byte[] plaintext = new byte[wire.Length];
        var header = new EnvelopeHeader(1, 2, 3, 4);
        MessageEnvelope.Encrypt(key, MessageDirection.ClientToServer, header, data, 32, wire);
        Assert.True(MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, wire, plaintext, out _));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            MessageEnvelope.Encrypt(key, MessageDirection.ClientToServer, header, data, 32, wire);
            MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, wire, plaintext, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_disposed_key_is_wiped_and_unusable()
    {
        var key = AuthKey.FromBytes(Generators.BytesFrom(2, AuthKey.Size));
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Bytes.Length);
    }
}
