using System.Buffers.Binary;

namespace Testbed.Protocol.Tl;

/// <summary>
/// Reads TL primitives from a span (docs/protocol.md §4.2). Every read checks bounds and throws
/// <see cref="TlDecodeException"/>; nothing is allocated.
/// </summary>
public ref struct TlReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    /// <summary>Reads from <paramref name="buffer"/>.</summary>
    public TlReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes read so far.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>Reads a 32-bit little-endian integer.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads a 32-bit little-endian unsigned integer (constructor ids).</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads a 64-bit little-endian integer.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads an IEEE 754 double.</summary>
    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    /// <summary>Reads <paramref name="count"/> raw bytes (int128, int256).</summary>
    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    /// <summary>Reads boolTrue or boolFalse.</summary>
    public bool ReadBool()
    {
        int start = Position;
        return ReadUInt32() switch
        {
            TlSchema.BoolTrueId => true,
            TlSchema.BoolFalseId => false,
            uint other => throw new TlDecodeException(TlDecodeError.InvalidBool, start, $"0x{other:x8} is not a Bool."),
        };
    }

    /// <summary>
    /// Reads a TL string/bytes value: a 1-byte length (0..253) or 0xFE and a 3-byte length (254 and up), the bytes,
    /// and zero padding to a multiple of 4. Only the canonical form is accepted.
    /// </summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        int start = Position;
        int first = Take(1)[0];
        int length;
        int header;
        if (first < 254)
        {
            length = first;
            header = 1;
        }
        else if (first == 254)
        {
            ReadOnlySpan<byte> three = Take(3);
            length = three[0] | (three[1] << 8) | (three[2] << 16);
            header = 4;
            if (length < 254)
            {
                throw new TlDecodeException(TlDecodeError.NonCanonicalLength, start, $"long-form length {length} has a short form.");
            }
        }
        else
        {
            throw new TlDecodeException(TlDecodeError.InvalidLengthPrefix, start, "length prefix 0xFF is not defined.");
        }

        if (length > Remaining)
        {
            throw new TlDecodeException(TlDecodeError.Truncated, start, $"string of {length} bytes, {Remaining} left.");
        }

        ReadOnlySpan<byte> value = Take(length);
        int padding = (4 - ((header + length) % 4)) % 4;
        if (Take(padding).ContainsAnyExcept((byte)0))
        {
            throw new TlDecodeException(TlDecodeError.NonZeroPadding, start, "string padding is not zero.");
        }

        return value;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new TlDecodeException(TlDecodeError.Truncated, Position, $"{count} bytes needed, {Remaining} left.");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }
}
