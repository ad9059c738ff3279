using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Testbed.Protocol.Crypto;

/// <summary>
/// AES-IGE on AES-NI. The round keys live in locals for the whole message so the JIT keeps them in registers
/// (32 vector registers with AVX-512, 16 without); the per-block work is then the AES rounds plus three XORs,
/// the same dependency chain as CBC encryption. Two algebraic shortcuts keep that chain short: the incoming block
/// is XORed with round key 0 before the previous block is ready, and the outgoing IGE XOR is folded into the last
/// round key (AESENCLAST and AESDECLAST end by XORing their key, so <c>Last(s, k) ^ m = Last(s, k ^ m)</c>), which
/// leaves one XOR between consecutive AES chains. Arguments are checked by <see cref="AesIge"/>.
/// </summary>
internal static class AesNiIge
{
    public static bool IsSupported => X86Aes.IsSupported && Sse2.IsSupported;

    /// <summary>Room for the largest key schedule (AES-256: 15 round keys).</summary>
    [InlineArray(15)]
    private struct RoundKeys
    {
        private Vector128<byte> _element;
    }

    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        RoundKeys keys = default;
        try
        {
            if (key.Length == 32)
            {
                ExpandKey256(key, ref keys);
                Encrypt256(ref keys, iv, source, destination);
            }
            else
            {
                ExpandKey128(key, ref keys);
                Encrypt128(ref keys, iv, source, destination);
            }
        }
        finally
        {
            keys = default;
        }
    }

    public static void Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        RoundKeys keys = default;
        try
        {
            int rounds;
            if (key.Length == 32)
            {
                ExpandKey256(key, ref keys);
                rounds = 14;
            }
            else
            {
                ExpandKey128(key, ref keys);
                rounds = 10;
            }

            ToDecryptionKeys(ref keys, rounds);
            if (rounds == 14)
            {
                Decrypt256(ref keys, iv, source, destination);
            }
            else
            {
                Decrypt128(ref keys, iv, source, destination);
            }
        }
        finally
        {
            keys = default;
        }
    }

    private static void Encrypt256(ref RoundKeys keys, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Vector128<byte> k0 = keys[0], k1 = keys[1], k2 = keys[2], k3 = keys[3], k4 = keys[4], k5 = keys[5], k6 = keys[6],
            k7 = keys[7], k8 = keys[8], k9 = keys[9], k10 = keys[10], k11 = keys[11], k12 = keys[12], k13 = keys[13], k14 = keys[14];
        Vector128<byte> previousCipher = Load(iv, 0);
        Vector128<byte> previousPlain = Load(iv, 16);
        ref byte output = ref MemoryMarshal.GetReference(destination);
        for (int offset = 0; offset < source.Length; offset += 16)
        {
            Vector128<byte> plain = Load(source, offset);
            Vector128<byte> state = (plain ^ k0) ^ previousCipher;
            state = X86Aes.Encrypt(state, k1);
            state = X86Aes.Encrypt(state, k2);
            state = X86Aes.Encrypt(state, k3);
            state = X86Aes.Encrypt(state, k4);
            state = X86Aes.Encrypt(state, k5);
            state = X86Aes.Encrypt(state, k6);
            state = X86Aes.Encrypt(state, k7);
            state = X86Aes.Encrypt(state, k8);
            state = X86Aes.Encrypt(state, k9);
            state = X86Aes.Encrypt(state, k10);
            state = X86Aes.Encrypt(state, k11);
            state = X86Aes.Encrypt(state, k12);
            state = X86Aes.Encrypt(state, k13);
            Vector128<byte> cipher = X86Aes.EncryptLast(state, k14 ^ previousPlain);
            cipher.StoreUnsafe(ref output, (nuint)offset);
            previousCipher = cipher;
            previousPlain = plain;
        }
    }

    private static void Decrypt256(ref RoundKeys keys, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Vector128<byte> k0 = keys[0], k1 = keys[1], k2 = keys[2], k3 = keys[3], k4 = keys[4], k5 = keys[5], k6 = keys[6],
            k7 = keys[7], k8 = keys[8], k9 = keys[9], k10 = keys[10], k11 = keys[11], k12 = keys[12], k13 = keys[13], k14 = keys[14];
        Vector128<byte> previousCipher = Load(iv, 0);
        Vector128<byte> previousPlain = Load(iv, 16);
        ref byte output = ref MemoryMarshal.GetReference(destination);
        for (int offset = 0; offset < source.Length; offset += 16)
        {
            Vector128<byte> cipher = Load(source, offset);
            Vector128<byte> state = (cipher ^ k0) ^ previousPlain;
            state = X86Aes.Decrypt(state, k1);
            state = X86Aes.Decrypt(state, k2);
            state = X86Aes.Decrypt(state, k3);
            state = X86Aes.Decrypt(state, k4);
            state = X86Aes.Decrypt(state, k5);
            state = X86Aes.Decrypt(state, k6);
            state = X86Aes.Decrypt(state, k7);
            state = X86Aes.Decrypt(state, k8);
            state = X86Aes.Decrypt(state, k9);
            state = X86Aes.Decrypt(state, k10);
            state = X86Aes.Decrypt(state, k11);
            state = X86Aes.Decrypt(state, k12);
            state = X86Aes.Decrypt(state, k13);
            Vector128<byte> plain = X86Aes.DecryptLast(state, k14 ^ previousCipher);
            plain.StoreUnsafe(ref output, (nuint)offset);
            previousCipher = cipher;
            previousPlain = plain;
        }
    }

    // AES-128 serves only OpenSSL's AES-128-IGE vectors, so it runs a compact loop over the schedule; the unrolled
    // loops above are for AES-256, the cipher MTProto uses.
    private static void Encrypt128(ref RoundKeys keys, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Vector128<byte> previousCipher = Load(iv, 0);
        Vector128<byte> previousPlain = Load(iv, 16);
        for (int offset = 0; offset < source.Length; offset += 16)
        {
            Vector128<byte> plain = Load(source, offset);
            Vector128<byte> state = (plain ^ keys[0]) ^ previousCipher;
            for (int round = 1; round < 10; round++)
            {
                state = X86Aes.Encrypt(state, keys[round]);
            }

            previousCipher = X86Aes.EncryptLast(state, keys[10] ^ previousPlain);
            previousCipher.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)offset);
            previousPlain = plain;
        }
    }

    private static void Decrypt128(ref RoundKeys keys, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Vector128<byte> previousCipher = Load(iv, 0);
        Vector128<byte> previousPlain = Load(iv, 16);
        for (int offset = 0; offset < source.Length; offset += 16)
        {
            Vector128<byte> cipher = Load(source, offset);
            Vector128<byte> state = (cipher ^ keys[0]) ^ previousPlain;
            for (int round = 1; round < 10; round++)
            {
                state = X86Aes.Decrypt(state, keys[round]);
            }

            previousPlain = X86Aes.DecryptLast(state, keys[10] ^ previousCipher);
            previousPlain.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)offset);
            previousCipher = cipher;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load(ReadOnlySpan<byte> span, int offset) =>
        Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)offset);

    // Key expansion (FIPS-197 §5.2) with AESKEYGENASSIST, as in Intel's AES-NI white paper. The round
    // constants must be immediates, hence the unrolled calls.
    private static void ExpandKey128(ReadOnlySpan<byte> key, ref RoundKeys keys)
    {
        Vector128<byte> k = Load(key, 0);
        keys[0] = k;
        keys[1] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x01), 0xFF);
        keys[2] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x02), 0xFF);
        keys[3] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x04), 0xFF);
        keys[4] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x08), 0xFF);
        keys[5] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x10), 0xFF);
        keys[6] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x20), 0xFF);
        keys[7] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x40), 0xFF);
        keys[8] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x80), 0xFF);
        keys[9] = k = NextWord(k, X86Aes.KeygenAssist(k, 0x1B), 0xFF);
        keys[10] = NextWord(k, X86Aes.KeygenAssist(k, 0x36), 0xFF);
    }

    private static void ExpandKey256(ReadOnlySpan<byte> key, ref RoundKeys keys)
    {
        Vector128<byte> even = Load(key, 0);
        Vector128<byte> odd = Load(key, 16);
        keys[0] = even;
        keys[1] = odd;
        keys[2] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x01), 0xFF);
        keys[3] = odd = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[4] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x02), 0xFF);
        keys[5] = odd = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[6] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x04), 0xFF);
        keys[7] = odd = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[8] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x08), 0xFF);
        keys[9] = odd = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[10] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x10), 0xFF);
        keys[11] = odd = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[12] = even = NextWord(even, X86Aes.KeygenAssist(odd, 0x20), 0xFF);
        keys[13] = NextWord(odd, X86Aes.KeygenAssist(even, 0x00), 0xAA);
        keys[14] = NextWord(even, X86Aes.KeygenAssist(keys[13], 0x40), 0xFF);
    }

    /// <summary>
    /// One step of the key schedule: prefix-XOR the previous round key's four words, then XOR in the word that
    /// AESKEYGENASSIST produced, broadcast by <paramref name="broadcast"/> (0xFF: RotWord+SubWord+Rcon of the last
    /// word, for every Nk-th word; 0xAA: SubWord alone, for AES-256's middle step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> NextWord(Vector128<byte> previous, Vector128<byte> assist, [ConstantExpected] byte broadcast)
    {
        Vector128<byte> spread = Sse2.Shuffle(assist.AsInt32(), broadcast).AsByte();
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        return previous ^ spread;
    }

    /// <summary>
    /// Turns an encryption schedule into the "equivalent inverse cipher" schedule AESDEC expects (FIPS-197 §5.3.5):
    /// reversed order, with InvMixColumns applied to every round key but the first and the last.
    /// </summary>
    private static void ToDecryptionKeys(ref RoundKeys keys, int rounds)
    {
        for (int i = 0, j = rounds; i < j; i++, j--)
        {
            (keys[i], keys[j]) = (keys[j], keys[i]);
        }

        for (int i = 1; i < rounds; i++)
        {
            keys[i] = X86Aes.InverseMixColumns(keys[i]);
        }
    }
}
