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
