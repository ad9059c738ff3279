using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Testbed.Protocol.Crypto;

/// <summary>
/// AES-IGE on BouncyCastle's AES engine, for processors without AES instructions. The IGE chaining is the same
/// as <see cref="AesNiIge"/>; tests prove the two byte-identical. Arguments are checked by <see cref="AesIge"/>.
/// </summary>
internal static class PortableAesIge
{
    private const int Block = AesIge.BlockSize;

    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var engine = new AesEngine();
        engine.Init(forEncryption: true, new KeyParameter(key));
        Span<byte> previousCipher = stackalloc byte[Block];
        Span<byte> previousPlain = stackalloc byte[Block];
        Span<byte> plain = stackalloc byte[Block];
        Span<byte> state = stackalloc byte[Block];
        iv[..Block].CopyTo(previousCipher);
        iv[Block..].CopyTo(previousPlain);
        for (int offset = 0; offset < source.Length; offset += Block)
        {
            source.Slice(offset, Block).CopyTo(plain);
            Xor(plain, previousCipher, state);
            engine.ProcessBlock(state, state);
            Span<byte> cipher = destination.Slice(offset, Block);
            Xor(state, previousPlain, cipher);
            cipher.CopyTo(previousCipher);
            plain.CopyTo(previousPlain);
        }
    }

    public static void Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var engine = new AesEngine();
        engine.Init(forEncryption: false, new KeyParameter(key));
        Span<byte> previousCipher = stackalloc byte[Block];
        Span<byte> previousPlain = stackalloc byte[Block];
        Span<byte> cipher = stackalloc byte[Block];
        Span<byte> state = stackalloc byte[Block];
        iv[..Block].CopyTo(previousCipher);
        iv[Block..].CopyTo(previousPlain);
        for (int offset = 0; offset < source.Length; offset += Block)
        {
            source.Slice(offset, Block).CopyTo(cipher);
            Xor(cipher, previousPlain, state);
            engine.ProcessBlock(state, state);
            Span<byte> plain = destination.Slice(offset, Block);
            Xor(state, previousCipher, plain);
            plain.CopyTo(previousPlain);
            cipher.CopyTo(previousCipher);
        }
    }

    private static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> result)
    {
        for (int i = 0; i < Block; i++)
        {
            result[i] = (byte)(a[i] ^ b[i]);
        }
    }
}
