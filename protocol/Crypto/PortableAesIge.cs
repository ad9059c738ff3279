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

    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination) =>
        Chain(forEncryption: true, key, previousOutput: iv[..Block], previousInput: iv[Block..], source, destination);

    // Decryption is the same chain with the roles swapped: the output is plaintext, so the "previous output" is the
    // IV's plaintext half and the "previous input" its ciphertext half.
    public static void Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination) =>
        Chain(forEncryption: false, key, previousOutput: iv[Block..], previousInput: iv[..Block], source, destination);

    /// <summary>IGE in either direction: <c>out_i = F(in_i ^ out_{i-1}) ^ in_{i-1}</c>, F being AES encryption or decryption.</summary>
    private static void Chain(bool forEncryption, ReadOnlySpan<byte> key, ReadOnlySpan<byte> previousOutput,
        ReadOnlySpan<byte> previousInput, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var engine = new AesEngine();
        engine.Init(forEncryption, new KeyParameter(key));
        Span<byte> lastOutput = stackalloc byte[Block];
        Span<byte> lastInput = stackalloc byte[Block];
        Span<byte> input = stackalloc byte[Block];
        Span<byte> state = stackalloc byte[Block];
        previousOutput.CopyTo(lastOutput);
        previousInput.CopyTo(lastInput);
        for (int offset = 0; offset < source.Length; offset += Block)
        {
            source.Slice(offset, Block).CopyTo(input); // before writing: source and destination may be one buffer
            Xor(input, lastOutput, state);
            engine.ProcessBlock(state, state);
            Span<byte> output = destination.Slice(offset, Block);
            Xor(state, lastInput, output);
            output.CopyTo(lastOutput);
            input.CopyTo(lastInput);
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
