using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Transport;

namespace Testbed.Protocol.Tests;

public sealed class TransportTests
{
    private static readonly Gen<TransportFraming> Framings = Gen.Elements(
        TransportFraming.Abridged, TransportFraming.Intermediate, TransportFraming.PaddedIntermediate, TransportFraming.Full);

    private static readonly Gen<byte[][]> Payloads =
        Gen.ListOf(Gen.Choose(1, 700).SelectMany(words => Generators.Bytes(words * 4))).Select(list => list.ToArray());

    [Property(MaxTest = 300)]
    public Property Frames_read_back_whole_however_the_stream_is_split() =>
        Prop.ForAll(Framings.ToArbitrary(), Payloads.ToArbitrary(), Gen.Choose(1, 5000).ToArbitrary(), (framing, payloads, chunk) =>
        {
            var writer = new FrameWriter(framing);
            byte[] stream = [.. FramingDetector.Marker(framing), .. payloads.SelectMany(p => writer.Frame(p))];

            // Deliver the stream in chunks, as a socket would, and cut frames out of what has arrived.
            var received = new List<byte[]>();
            var pending = new List<byte>();
            FrameReader? reader = null;
            for (int offset = 0; offset < stream.Length; offset += chunk)
            {
                pending.AddRange(stream.Skip(offset).Take(chunk));
                if (reader is null)
                {
                    TransportFraming? detected = FramingDetector.Detect(pending.ToArray(), out int markerLength);
                    if (detected is null)
                    {
                        continue;
                    }

                    if (detected != framing && !(framing == TransportFraming.Full && payloads.Length == 0))
                    {
                        return false.Label($"detected {detected}");
                    }

                    reader = new FrameReader(detected.Value);
                    pending.RemoveRange(0, markerLength);
                }

                while (true)
                {
                    byte[] buffer = pending.ToArray();
                    FrameReadResult result = reader.TryRead(buffer);
                    if (result.Status == FrameStatus.Error)
                    {
                        return false.Label(result.Error.ToString());
                    }

                    if (result.Status == FrameStatus.NeedMoreData)
                    {
                        break;
                    }

                    received.Add(buffer.AsSpan(result.PayloadOffset, result.PayloadLength).ToArray());
                    pending.RemoveRange(0, result.Consumed);
                }
            }

            // Padded intermediate hands back the payload with its random tail; the message layer knows its own length.
            bool same = received.Count == payloads.Length && received.Zip(payloads).All(pair =>
                framing == TransportFraming.PaddedIntermediate
                    ? pair.First.Length - pair.Second.Length is >= 0 and < 16 && pair.First.AsSpan(0, pair.Second.Length).SequenceEqual(pair.Second)
                    : pair.First.AsSpan().SequenceEqual(pair.Second));
            return (same && pending.Count == 0).Label($"{received.Count} of {payloads.Length} frames, {pending.Count} bytes left");
        });

    [Theory]
    [InlineData(126, 1)]
    [InlineData(127, 4)]
    [InlineData(1000, 4)]
    public void Abridged_uses_the_long_header_from_127_words(int words, int headerLength)
    {
        byte[] frame = new FrameWriter(TransportFraming.Abridged).Frame(new byte[words * 4]);
        Assert.Equal(headerLength + (words * 4), frame.Length);
        FrameReadResult result = new FrameReader(TransportFraming.Abridged).TryRead(frame);
        Assert.Equal((FrameStatus.Frame, headerLength, words * 4), (result.Status, result.PayloadOffset, result.PayloadLength));
    }

    [Theory]
    [InlineData(TransportFraming.Abridged, new byte[] { 0x7f, 0x00, 0x00, 0x01 })] // 65536 words = 256 KiB
    [InlineData(TransportFraming.Intermediate, new byte[] { 0x00, 0x00, 0x04, 0x00 })] // 256 KiB
    [InlineData(TransportFraming.PaddedIntermediate, new byte[] { 0x00, 0x00, 0x04, 0x00 })]
    [InlineData(TransportFraming.Full, new byte[] { 0x0c, 0x00, 0x04, 0x00 })]
    public void An_oversized_frame_is_refused_from_its_header_alone(TransportFraming framing, byte[] header)
    {
        FrameReadResult result = new FrameReader(framing, maxPayloadLength: 64 * 1024).TryRead(header);
        Assert.Equal((FrameStatus.Error, FrameError.TooLarge), (result.Status, result.Error));
    }

    [Theory]
    [InlineData(TransportFraming.Abridged, new byte[] { 0x00 })]
    [InlineData(TransportFraming.Intermediate, new byte[] { 0x00, 0x00, 0x00, 0x00 })]
    [InlineData(TransportFraming.Intermediate, new byte[] { 0x05, 0x00, 0x00, 0x00 })]
    [InlineData(TransportFraming.Full, new byte[] { 0x0d, 0x00, 0x00, 0x00 })]
    [InlineData(TransportFraming.Full, new byte[] { 0x08, 0x00, 0x00, 0x00 })]
    [InlineData(TransportFraming.Full, new byte[] { 0xf0, 0xff, 0xff, 0xff })]
    public void Impossible_lengths_are_refused(TransportFraming framing, byte[] header)
    {
        FrameReadResult result = new FrameReader(framing).TryRead(header);
        Assert.Equal((FrameStatus.Error, FrameError.BadLength), (result.Status, result.Error));
    }

    [Fact]
    public void Full_framing_checks_crc_and_sequence()
    {
        var writer = new FrameWriter(TransportFraming.Full);
        byte[] first = writer.Frame(new byte[8]);
        byte[] second = writer.Frame(new byte[8]);
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(second.AsSpan(4)));

        var reader = new FrameReader(TransportFraming.Full);
        Assert.Equal(FrameError.BadSequenceNumber, reader.TryRead(second).Error);
        byte[] corrupted = (byte[])first.Clone();
        corrupted[10] ^= 1;
        Assert.Equal(FrameError.BadChecksum, reader.TryRead(corrupted).Error);
        Assert.Equal(FrameStatus.Frame, reader.TryRead(first).Status);
        Assert.Equal(FrameStatus.Frame, reader.TryRead(second).Status);
        Assert.Equal(FrameError.BadSequenceNumber, reader.TryRead(first).Error);
    }

    [Property(MaxTest = 500)]
    public Property Arbitrary_bytes_never_throw_and_never_claim_more_than_they_hold() =>
        Prop.ForAll(Framings.ToArbitrary(), Generators.Bytes(0, 64).ToArbitrary(), (framing, bytes) =>
        {
            FrameReadResult result = new FrameReader(framing, maxPayloadLength: 1024).TryRead(bytes);
            return result.Status != FrameStatus.Frame
                || (result.Consumed <= bytes.Length && result.PayloadOffset + result.PayloadLength <= result.Consumed && result.PayloadLength <= 1024);
        });

    [Theory]
    [InlineData(new byte[] { 0xef }, TransportFraming.Abridged, 1)]
    [InlineData(new byte[] { 0xee, 0xee, 0xee, 0xee }, TransportFraming.Intermediate, 4)]
    [InlineData(new byte[] { 0xdd, 0xdd, 0xdd, 0xdd }, TransportFraming.PaddedIntermediate, 4)]
    [InlineData(new byte[] { 0x28, 0x00, 0x00, 0x00 }, TransportFraming.Full, 0)]
    public void The_framing_is_detected_from_the_first_bytes(byte[] start, TransportFraming framing, int markerLength)
    {
        Assert.Equal(framing, FramingDetector.Detect(start, out int length));
        Assert.Equal(markerLength, length);
        Assert.Null(FramingDetector.Detect(new byte[] { 0xee, 0xee }, out _));
    }

    [Fact]
    public void Payloads_that_are_not_whole_words_are_refused_except_by_padded_intermediate()
    {
        Assert.Throws<ArgumentException>(() => new FrameWriter(TransportFraming.Intermediate).Frame(new byte[5]));
        Assert.Throws<ArgumentException>(() => new FrameWriter(TransportFraming.Full).Frame([]));
        Assert.InRange(new FrameWriter(TransportFraming.PaddedIntermediate).Frame(new byte[5]).Length, 4 + 5, 4 + 5 + 15);
    }
}

public sealed class FrameBufferTests
{
    [Fact]
    public void The_buffer_refuses_bytes_past_its_limit_and_consumes_from_the_front()
    {
        var buffer = new FrameBuffer(10);
        Assert.True(buffer.Append([1, 2, 3, 4, 5, 6]));
        Assert.False(buffer.Append([7, 8, 9, 10, 11]));
        Assert.Equal(6, buffer.Count);
        buffer.Consume(4);
        Assert.Equal(new byte[] { 5, 6 }, buffer.Data.ToArray());
        Assert.True(buffer.Append([7, 8, 9, 10, 11, 12, 13, 14]));
        Assert.Equal(10, buffer.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Consume(11));
    }
}

public sealed class ObfuscationTests
{
    private static readonly Gen<TransportFraming> InnerFramings = Gen.Elements(
        TransportFraming.Abridged, TransportFraming.Intermediate, TransportFraming.PaddedIntermediate);

    /// <summary>Payloads shaped as encrypted messages (24 bytes and whole blocks), so padded intermediate's cut finds their end.</summary>
    private static readonly Gen<byte[][]> Payloads = Gen.ListOf(Gen.Choose(0, 70).SelectMany(blocks => Generators.Bytes(24 + (16 * blocks)))
        .Select(payload =>
        {
            payload[0] = 1; // an auth_key_id that is not zero: an encrypted message
            return payload;
        })).Select(list => list.ToArray());

    /// <summary>Any DC id (negative ones too), and how the stream is split on its way.</summary>
    private static readonly Gen<(short, int)> DataCentersAndChunks =
        Gen.Choose(short.MinValue, short.MaxValue).SelectMany(dc => Gen.Choose(1, 3000).Select(chunk => ((short)dc, chunk)));

    [Property(MaxTest = 200)]
    public Property What_the_client_obfuscates_the_server_reads_back_in_both_directions() =>
        Prop.ForAll(InnerFramings.ToArbitrary(), Payloads.ToArbitrary(), DataCentersAndChunks.ToArbitrary(),
            (framing, payloads, dcAndChunk) =>
            {
                (short dataCenter, int chunk) = dcAndChunk;
                byte[] header = new byte[ObfuscatedInit.Length];
                using ObfuscationCiphers client = ObfuscatedInit.Create(framing, dataCenter, header);
                Assert.True(FramingDetector.IsObfuscated(header));

                byte[] init = new byte[ObfuscatedInit.Length];
                using ObfuscationCiphers server = ObfuscatedInit.Open(header, init);
                Assert.Equal(framing, ObfuscatedInit.FramingOf(ObfuscatedInit.TagOf(init)));
                Assert.Equal(dataCenter, ObfuscatedInit.DataCenterOf(init));

                Assert.Equal(payloads, Carry(payloads, framing, client.Send, server.Receive, chunk));
                Assert.Equal(payloads, Carry(payloads, framing, server.Send, client.Receive, chunk));
            });

    /// <summary>Frames and encrypts <paramref name="payloads"/>, decrypts the stream in chunks and cuts it into frames again.</summary>
    private static byte[][] Carry(byte[][] payloads, TransportFraming framing, Crypto.AesCtr encrypt, Crypto.AesCtr decrypt, int chunk)
    {
        var writer = new FrameWriter(framing);
        byte[] stream = [.. payloads.SelectMany(p =>
        {
            byte[] frame = writer.Frame(p);
            encrypt.Transform(frame);
            return frame;
        })];
        var reader = new FrameReader(framing);
        var buffer = new FrameBuffer(1 << 22);
        var received = new List<byte[]>();
        for (int offset = 0; offset < stream.Length; offset += chunk)
        {
            Span<byte> piece = stream.AsSpan(offset, Math.Min(chunk, stream.Length - offset));
            decrypt.Transform(piece);
            Assert.True(buffer.Append(piece));
            while (buffer.TakeFrame(reader) is { } payload)
            {
                received.Add(payload);
            }
        }

        return [.. received];
    }

    [Fact]
    public void Keys_are_bytes_8_to_56_and_their_reverse_and_the_header_hides_only_its_last_8_bytes()
    {
        byte[] init = [.. Enumerable.Range(0, 56).Select(i => (byte)(i + 1)), 0xee, 0xee, 0xee, 0xee, 0x02, 0x00, 0x00, 0x00];
        byte[] header = new byte[ObfuscatedInit.Length];
        using ObfuscationCiphers client = ObfuscatedInit.Seal(init, header);
        Assert.Equal(init[..56], header[..56]);

        using var forward = new Crypto.AesCtr(init.AsSpan(8, 32), init.AsSpan(40, 16));
        byte[] expected = new byte[64];
        forward.Transform(init, expected);
        Assert.Equal(expected[56..], header[56..]);

        byte[] reversed = [.. init[8..56].Reverse()];
        using var backward = new Crypto.AesCtr(reversed.AsSpan(0, 32), reversed.AsSpan(32));
        byte[] fromServer = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] encrypted = new byte[8];
        backward.Transform(fromServer, encrypted);
        client.Receive.Transform(encrypted);
        Assert.Equal(fromServer, encrypted);
    }

    [Property(MaxTest = 300)]
    public Property A_drawn_init_never_starts_like_a_plain_framing() =>
        Prop.ForAll(InnerFramings.ToArbitrary(), framing =>
        {
            byte[] header = new byte[ObfuscatedInit.Length];
            ObfuscatedInit.Create(framing, 2, header).Dispose();
            return !FramingDetector.IsPlainStart(header) && header[0] != 0xef && BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)) != 0;
        });

    [Theory]
    [InlineData(new byte[] { 0xef, 1, 2, 3, 4, 5, 6, 7 })]
    [InlineData(new byte[] { 0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4 })]
    [InlineData(new byte[] { 0xdd, 0xdd, 0xdd, 0xdd, 1, 2, 3, 4 })]
    [InlineData(new byte[] { (byte)'P', (byte)'O', (byte)'S', (byte)'T', 1, 2, 3, 4 })]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ', 1, 2, 3, 4 })]
    [InlineData(new byte[] { (byte)'H', (byte)'E', (byte)'A', (byte)'D', 1, 2, 3, 4 })]
    [InlineData(new byte[] { (byte)'O', (byte)'P', (byte)'T', (byte)'I', 1, 2, 3, 4 })]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 1, 2, 3, 4 })]
    [InlineData(new byte[] { 0x34, 0x00, 0x00, 0x00, 0, 0, 0, 0 })] // a full frame: length, then sequence number 0
    public void Reserved_starts_are_plain(byte[] start)
    {
        Assert.True(FramingDetector.IsPlainStart(start));
        Assert.False(FramingDetector.IsObfuscated(start));
    }

    [Fact]
    public void Obfuscation_is_undecided_below_8_bytes_unless_a_plain_marker_shows()
    {
        Assert.Null(FramingDetector.IsObfuscated([0x34, 0, 0, 0, 0, 0, 0]));
        Assert.False(FramingDetector.IsObfuscated([0xee, 0xee, 0xee, 0xee]));
        Assert.True(FramingDetector.IsObfuscated([0x34, 0, 0, 0, 1, 0, 0, 0]));
    }

    [Fact]
    public void An_unknown_tag_names_no_framing_and_full_has_no_tag()
    {
        Assert.Null(ObfuscatedInit.FramingOf([1, 2, 3, 4]));
        Assert.Throws<ArgumentException>(() => ObfuscatedInit.Tag(TransportFraming.Full).ToArray());
    }

    [Fact]
    public void Ctr_matches_the_nist_sp800_38a_aes256_vector_and_refuses_use_after_dispose()
    {
        // NIST SP 800-38A F.5.5, CTR-AES256.Encrypt, blocks 1 and 2.
        byte[] key = Convert.FromHexString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        byte[] counter = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        byte[] plain = Convert.FromHexString("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        var ctr = new Crypto.AesCtr(key, counter);
        byte[] data = plain.ToArray();
        ctr.Transform(data.AsSpan(0, 5)); // split mid-block: the stream continues where it stopped
        ctr.Transform(data.AsSpan(5));
        Assert.Equal("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5", Convert.ToHexStringLower(data));
        ctr.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ctr.Transform(data));
    }
}
