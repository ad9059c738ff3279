using System.Runtime.InteropServices;

namespace Testbed.Bench;

/// <summary>
/// AES-256-CBC encryption through OpenSSL's EVP interface, in the same libcrypto .NET itself loads on Linux: the
/// baseline the issue names (what <c>openssl speed -evp aes-256-cbc</c> measures), called per message with its
/// key schedule, like our IGE.
/// </summary>
internal static partial class OpenSslCbc
{
    private const string LibCrypto = "libcrypto.so.3";

    public static void Encrypt(nint context, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Check(EVP_EncryptInit_ex(context, EVP_aes_256_cbc(), 0, key, iv), "EVP_EncryptInit_ex");
        Check(EVP_CIPHER_CTX_set_padding(context, 0), "EVP_CIPHER_CTX_set_padding");
        Check(EVP_EncryptUpdate(context, destination, out int written, source, source.Length), "EVP_EncryptUpdate");
        if (written != source.Length)
        {
            throw new InvalidOperationException($"EVP_EncryptUpdate wrote {written} of {source.Length} bytes.");
        }
    }

    public static nint NewContext() => EVP_CIPHER_CTX_new();

    public static void FreeContext(nint context) => EVP_CIPHER_CTX_free(context);

    private static void Check(int result, string function)
    {
        if (result != 1)
        {
            throw new InvalidOperationException($"{function} failed.");
        }
    }

    [LibraryImport(LibCrypto)]
    private static partial nint EVP_CIPHER_CTX_new();

    [LibraryImport(LibCrypto)]
    private static partial void EVP_CIPHER_CTX_free(nint context);

    [LibraryImport(LibCrypto)]
    private static partial nint EVP_aes_256_cbc();

    [LibraryImport(LibCrypto)]
    private static partial int EVP_EncryptInit_ex(nint context, nint cipher, nint engine, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv);

    [LibraryImport(LibCrypto)]
    private static partial int EVP_CIPHER_CTX_set_padding(nint context, int padding);

    [LibraryImport(LibCrypto)]
    private static partial int EVP_EncryptUpdate(nint context, Span<byte> output, out int outputLength, ReadOnlySpan<byte> input, int inputLength);
}
