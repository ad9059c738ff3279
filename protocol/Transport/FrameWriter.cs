using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Transport;

/// <summary>
/// Frames payloads for one direction of a connection (docs/protocol.md §6). One writer per connection and direction
/// (the full framing counts sequence numbers); not thread-safe.
/// </summary>
public sealed class FrameWriter
{
    private int _sequence;

    /// <summary>Creates a writer for <paramref name="framing"/>.</summary>
    public FrameWriter(TransportFraming framing)
    {
        Framing = framing;
    }

    /// <summary>The framing written.</summary>
    public TransportFraming Framing { get; }

    /// <summary>Writes one frame around <paramref name="payload"/>.</summary>
    /// <exception cref="ArgumentException">
    /// The payload is empty, too long for the framing, or (for every framing but padded intermediate) not a multiple
    /// of 4 bytes.
    /// </exception>
    public void Write(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.IsEmpty || (Framing != TransportFraming.PaddedIntermediate && payload.Length % 4 != 0))
        {
            throw new ArgumentException($"A {Framing} payload must be a non-empty multiple of 4 bytes, got {payload.Length}.", nameof(payload));
        }

        switch (Framing)
        {
            case TransportFraming.Abridged:
                WriteAbridged(payload, output);
                break;
            case TransportFraming.Intermediate:
                WriteWithLength(payload, padding: 0, output);
                break;
            case TransportFraming.PaddedIntermediate:
                WriteWithLength(payload, padding: RandomPool.NextInt32(16), output);
                break;
            default:
                WriteFull(payload, output);
                break;
        }
    }

    /// <summary>Frames <paramref name="payload"/> into a new array.</summary>
    public byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(payload.Length + 16);
        Write(payload, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteAbridged(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        int words = payload.Length / 4;
        if (words >= 1 << 24)
        {
            throw new ArgumentException("An abridged frame holds less than 64 MiB.", nameof(payload));
        }

        Span<byte> header = output.GetSpan(4);
        int headerLength;
        if (words < 0x7f)
        {
            header[0] = (byte)words;
            headerLength = 1;
        }
        else
        {
            header[0] = 0x7f;
            header[1] = (byte)words;
            header[2] = (byte)(words >> 8);
            header[3] = (byte)(words >> 16);
            headerLength = 4;
        }

        output.Advance(headerLength);
        output.Write(payload);
    }

    private static void WriteWithLength(ReadOnlySpan<byte> payload, int padding, IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), payload.Length + padding);
        output.Advance(4);
        output.Write(payload);
        if (padding > 0)
        {
            Span<byte> tail = output.GetSpan(padding)[..padding];
            RandomPool.Fill(tail);
            output.Advance(padding);
        }
    }

    private void WriteFull(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        int total = payload.Length + 12;
        Span<byte> frame = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt32LittleEndian(frame, total);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], _sequence++);
        payload.CopyTo(frame[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[(total - 4)..], Crc32.HashToUInt32(frame[..(total - 4)]));
        output.Advance(total);
    }
}
