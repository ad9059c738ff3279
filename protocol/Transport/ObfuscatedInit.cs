using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Protocol.Crypto;

namespace Testbed.Protocol.Transport;

/// <summary>
/// The 64-byte init header of an obfuscated connection ("obfuscated2"; core.telegram.org/mtproto/mtproto-transports,
/// "Transport obfuscation"; docs/protocol.md §6.1). The client draws 64 random bytes that cannot be read as a plain
/// framing's start (<see cref="FramingDetector.IsPlainStart"/>), puts the inner framing's tag at 56..59 and the DC id
/// at 60..61, and derives two AES-256-CTR streams: its sending key and IV are bytes 8..39 and 40..55, its receiving
/// key and IV the same 48 bytes reversed. It sends bytes 0..55 as they are and bytes 56..63 encrypted (the sending
/// stream runs over all 64 bytes, so the first frame is encrypted from keystream offset 64 on). The keys travel in the
/// clear: obfuscation hides the protocol from a passive filter, it is not encryption.
/// </summary>
public static class ObfuscatedInit
{
    /// <summary>The header's length.</summary>
    public const int Length = 64;

    private const int KeyOffset = 8;
    private const int IvOffset = KeyOffset + AesCtr.KeySize; // 40
    private const int TagOffset = IvOffset + AesCtr.IvSize; // 56
    private const int DataCenterOffset = TagOffset + 4; // 60

    /// <summary>The protocol tag of an inner framing: its plain marker repeated to four bytes; none for full.</summary>
    public static ReadOnlySpan<byte> Tag(TransportFraming framing) => framing switch
    {
        TransportFraming.Abridged => [0xef, 0xef, 0xef, 0xef],
        TransportFraming.Intermediate or TransportFraming.PaddedIntermediate => FramingDetector.Marker(framing),
        _ => throw new ArgumentException("The full framing has no obfuscated form.", nameof(framing)),
    };

    /// <summary>The inner framing a decrypted tag names; null for any other four bytes.</summary>
    public static TransportFraming? FramingOf(ReadOnlySpan<byte> tag)
    {
        foreach (TransportFraming framing in (ReadOnlySpan<TransportFraming>)[TransportFraming.Abridged, TransportFraming.Intermediate, TransportFraming.PaddedIntermediate])
        {
            if (tag.SequenceEqual(Tag(framing)))
            {
                return framing;
            }
        }

        return null;
    }

    /// <summary>
    /// Client side: draws a header for <paramref name="framing"/> and <paramref name="dataCenter"/> into
    /// <paramref name="header"/> (64 bytes) and returns the client's streams, past the header.
    /// </summary>
    public static ObfuscationCiphers Create(TransportFraming framing, short dataCenter, Span<byte> header)
    {
        Span<byte> init = stackalloc byte[Length];
        do
        {
            RandomPool.Fill(init);
        }
        while (FramingDetector.IsPlainStart(init));

        Tag(framing).CopyTo(init[TagOffset..]);
        BinaryPrimitives.WriteInt16LittleEndian(init[DataCenterOffset..], dataCenter);
        ObfuscationCiphers ciphers = Seal(init, header);
        CryptographicOperations.ZeroMemory(init);
        return ciphers;
    }

    /// <summary>
    /// Client side, from a chosen init (tag and DC id in place: vectors and tests): writes the header sent into
    /// <paramref name="header"/> and returns the client's streams, past the header.
    /// </summary>
    public static ObfuscationCiphers Seal(ReadOnlySpan<byte> init, Span<byte> header)
    {
        CheckLength(init, nameof(init));
        CheckLength(header, nameof(header));
        var ciphers = new ObfuscationCiphers(Forward(init), Reversed(init));
        Span<byte> encrypted = stackalloc byte[Length];
        ciphers.Send.Transform(init, encrypted);
        init[..TagOffset].CopyTo(header);
        encrypted[TagOffset..].CopyTo(header[TagOffset..]);
        return ciphers;
    }

    /// <summary>
    /// Server side: derives the streams from a received header, recovers the client's init into <paramref name="init"/>
    /// (64 bytes, as <see cref="Seal"/> would take it: read the tag with <see cref="FramingOf"/> at 56..59 and the DC id with <see cref="DataCenterOf"/>) and returns
    /// the server's streams, past the header.
    /// </summary>
    public static ObfuscationCiphers Open(ReadOnlySpan<byte> header, Span<byte> init)
    {
        CheckLength(header, nameof(header));
        CheckLength(init, nameof(init));
        var ciphers = new ObfuscationCiphers(Reversed(header), Forward(header));
        ciphers.Receive.Transform(header, init); // the receiving stream runs over all 64 bytes, as the client's sending one did
        header[..TagOffset].CopyTo(init); // sent as drawn: the init is the header's start and its decrypted end
        return ciphers;
    }

    /// <summary>The decrypted tag of a decrypted init.</summary>
    public static ReadOnlySpan<byte> TagOf(ReadOnlySpan<byte> init) => init.Slice(TagOffset, 4);

    /// <summary>The DC id (bytes 60..61, signed little-endian) of a decrypted init.</summary>
    public static short DataCenterOf(ReadOnlySpan<byte> init) => BinaryPrimitives.ReadInt16LittleEndian(init[DataCenterOffset..]);

    /// <summary>The client-to-server stream: key = bytes 8..39, IV = bytes 40..55.</summary>
    private static AesCtr Forward(ReadOnlySpan<byte> init) =>
        new(init.Slice(KeyOffset, AesCtr.KeySize), init.Slice(IvOffset, AesCtr.IvSize));

    /// <summary>
    /// The server-to-client key and IV (48 bytes into <paramref name="keyAndIv"/>): bytes 8..55 of the init reversed,
    /// the key their first 32 bytes, the IV the last 16. The client-to-server ones are bytes 8..55 as they are.
    /// </summary>
    public static void ServerKeyAndIv(ReadOnlySpan<byte> init, Span<byte> keyAndIv)
    {
        init[KeyOffset..TagOffset].CopyTo(keyAndIv);
        keyAndIv[..(AesCtr.KeySize + AesCtr.IvSize)].Reverse();
    }

    /// <summary>The server-to-client stream (<see cref="ServerKeyAndIv"/>).</summary>
    private static AesCtr Reversed(ReadOnlySpan<byte> init)
    {
        Span<byte> reversed = stackalloc byte[AesCtr.KeySize + AesCtr.IvSize];
        ServerKeyAndIv(init, reversed);
        var cipher = new AesCtr(reversed[..AesCtr.KeySize], reversed[AesCtr.KeySize..]);
        CryptographicOperations.ZeroMemory(reversed);
        return cipher;
    }

    private static void CheckLength(ReadOnlySpan<byte> bytes, string name) =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(bytes.Length, Length, name);
}
