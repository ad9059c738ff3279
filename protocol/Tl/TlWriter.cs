using System.Buffers;
using System.Buffers.Binary;

namespace Testbed.Protocol.Tl;

/// <summary>Writes TL primitives to an <see cref="IBufferWriter{T}"/> (docs/protocol.md §4.2).</summary>
public sealed class TlWriter
{
    /// <summary>The longest string/bytes value TL can carry: a 3-byte length.</summary>
    public const int MaxBytesLength = (1 << 24) - 1;

    private readonly IBufferWriter<byte> _output;

    /// <summary>Writes to <paramref name="output"/>.</summary>
    public TlWriter(IBufferWriter<byte> output)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
    }

    /// <summary>Writes a 32-bit little-endian integer.</summary>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    /// <summary>Writes a 32-bit little-endian unsigned integer (constructor ids).</summary>
    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    /// <summary>Writes a 64-bit little-endian integer.</summary>
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    /// <summary>Writes an IEEE 754 double, bit for bit.</summary>
    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    /// <summary>Writes raw bytes (int128, int256).</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => _output.Write(value);

    /// <summary>Writes boolTrue or boolFalse.</summary>
    public void WriteBool(bool value) => WriteUInt32(value ? TlSchema.BoolTrueId : TlSchema.BoolFalseId);

    /// <summary>Writes a TL string/bytes value in its canonical form, zero-padded to a multiple of 4.</summary>
    /// <exception cref="TlEncodeException">Longer than <see cref="MaxBytesLength"/>.</exception>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxBytesLength)
        {
            throw new TlEncodeException($"A TL string holds at most {MaxBytesLength} bytes, got {value.Length}.");
        }

        int total = EncodedLength(value.Length);
        Span<byte> span = _output.GetSpan(total)[..total];
        int header;
        if (value.Length < 254)
        {
            span[0] = (byte)value.Length;
            header = 1;
        }
        else
        {
            span[0] = 254;
            span[1] = (byte)value.Length;
            span[2] = (byte)(value.Length >> 8);
            span[3] = (byte)(value.Length >> 16);
            header = 4;
        }

        value.CopyTo(span[header..]);
        span[(header + value.Length)..].Clear();
        _output.Advance(total);
    }

    /// <summary>The wire size of a string/bytes value of <paramref name="length"/> bytes.</summary>
    public static int EncodedLength(int length)
    {
        int header = length < 254 ? 1 : 4;
        return (header + length + 3) & ~3;
    }
}
