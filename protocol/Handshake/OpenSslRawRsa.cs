using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Testbed.Protocol.Interop;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// Textbook RSA decryption (<c>c^d mod n</c>, RSA_NO_PADDING) through OpenSSL's EVP interface on the key .NET's
/// <see cref="RSAOpenSsl"/> holds. OpenSSL blinds private-key operations by default, so the timing does not depend
/// on the ciphertext; it is about 14× faster than BouncyCastle's blinded engine here (bench/RsaBenchmarks.cs).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class OpenSslRawRsa
{
    private const int RsaNoPadding = 3;

    /// <summary>Decrypts; false when OpenSSL refuses the input (for example, not below the modulus).</summary>
    public static bool TryDecrypt(SafeEvpPKeyHandle key, ReadOnlySpan<byte> ciphertext, Span<byte> result)
    {
        byte[] input = ciphertext.ToArray();
        byte[] output = new byte[result.Length];
        nint context = NativeMethods.EVP_PKEY_CTX_new(key, 0);
        if (context == 0)
        {
            throw new CryptographicException("OpenSSL EVP_PKEY_CTX_new failed.");
        }

        try
        {
            nuint written = (nuint)output.Length;
            bool ok = NativeMethods.EVP_PKEY_decrypt_init(context) == 1
                && NativeMethods.EVP_PKEY_CTX_set_rsa_padding(context, RsaNoPadding) == 1
                && NativeMethods.EVP_PKEY_decrypt(context, output, ref written, input, (nuint)input.Length) == 1
                && written <= (nuint)result.Length;
            if (!ok)
            {
                // Leave no error behind on this thread's OpenSSL queue for .NET's own calls to trip over.
                NativeMethods.ERR_clear_error();
                return false;
            }

            result.Clear();
            output.AsSpan(0, (int)written).CopyTo(result[(result.Length - (int)written)..]);
            return true;
        }
        finally
        {
            NativeMethods.EVP_PKEY_CTX_free(context);
            CryptographicOperations.ZeroMemory(output);
        }
    }

    private static class NativeMethods
    {
        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint EVP_PKEY_CTX_new(SafeEvpPKeyHandle key, nint engine);

        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void EVP_PKEY_CTX_free(nint context);

        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_PKEY_decrypt_init(nint context);

        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_PKEY_CTX_set_rsa_padding(nint context, int padding);

        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_PKEY_decrypt(nint context, byte[] output, ref nuint outputLength, byte[] input, nuint inputLength);

        [DllImport(OpenSslLibrary.Name), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void ERR_clear_error();
    }
}
