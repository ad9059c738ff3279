using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Testbed.Protocol.Interop;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// <c>value^exponent mod modulus</c> for the 2048-bit Diffie-Hellman and primality work of the handshake.
/// Managed big-integer code takes 13 ms (BouncyCastle) to 22 ms (System.Numerics) per 2048-bit exponentiation on
/// this machine; OpenSSL's constant-time Montgomery code, in the same libcrypto .NET itself loads on Linux, takes
/// 1.8 ms and does not branch on the (secret) exponent (bench/ModularExponentiationBenchmarks.cs). Where that library is absent, the managed
/// fallback gives the same results, slower and without the constant-time property.
/// </summary>
internal static class ModularExponentiation
{
    /// <summary>Whether OpenSSL's bignum library was found.</summary>
    public static bool UsesOpenSsl => OpenSslLibrary.IsAvailable;

    public static BigInteger Compute(BigInteger value, BigInteger exponent, BigInteger modulus)
    {
        if (modulus.Sign <= 0 || exponent.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(modulus), "The modulus must be positive and the exponent non-negative.");
        }

        // Montgomery multiplication needs an odd modulus; every modulus here (safe primes, Miller-Rabin candidates) is.
        if (!OpenSslLibrary.IsAvailable || modulus.IsEven)
        {
            return BigInteger.ModPow(value, exponent, modulus);
        }

        value = BigInteger.Remainder(value, modulus);
        if (value.Sign < 0)
        {
            value += modulus;
        }

        return OpenSsl.ModPow(value, exponent, modulus);
    }

    private static class OpenSsl
    {
        private const string Library = OpenSslLibrary.Name;

        public static BigInteger ModPow(BigInteger value, BigInteger exponent, BigInteger modulus)
        {
            byte[] valueBytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
            byte[] exponentBytes = exponent.ToByteArray(isUnsigned: true, isBigEndian: true);
            byte[] modulusBytes = modulus.ToByteArray(isUnsigned: true, isBigEndian: true);
            byte[] result = new byte[modulusBytes.Length];
            nint context = 0, a = 0, p = 0, m = 0, r = 0;
            try
            {
                context = Check(NativeMethods.BN_CTX_new());
                a = Check(NativeMethods.BN_bin2bn(valueBytes, valueBytes.Length, 0));
                p = Check(NativeMethods.BN_bin2bn(exponentBytes, exponentBytes.Length, 0));
                m = Check(NativeMethods.BN_bin2bn(modulusBytes, modulusBytes.Length, 0));
                r = Check(NativeMethods.BN_new());
                if (NativeMethods.BN_mod_exp_mont_consttime(r, a, p, m, context, 0) != 1
                    || NativeMethods.BN_bn2binpad(r, result, result.Length) != result.Length)
                {
                    throw new CryptographicException("OpenSSL BN_mod_exp_mont_consttime failed.");
                }

                return new BigInteger(result, isUnsigned: true, isBigEndian: true);
            }
            finally
            {
                // The exponent is a DH secret: clear every copy.
                NativeMethods.BN_clear_free(p);
                NativeMethods.BN_clear_free(r);
                NativeMethods.BN_clear_free(a);
                NativeMethods.BN_free(m);
                NativeMethods.BN_CTX_free(context);
                CryptographicOperations.ZeroMemory(exponentBytes);
                CryptographicOperations.ZeroMemory(result);
            }
        }

        private static nint Check(nint pointer) =>
            pointer != 0 ? pointer : throw new CryptographicException("OpenSSL could not allocate a big number.");

        private static class NativeMethods
        {
            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern nint BN_CTX_new();

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void BN_CTX_free(nint context);

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern nint BN_new();

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void BN_free(nint value);

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void BN_clear_free(nint value);

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern nint BN_bin2bn(byte[] bytes, int length, nint result);

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int BN_bn2binpad(nint value, byte[] destination, int length);

            [DllImport(Library), DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int BN_mod_exp_mont_consttime(nint result, nint value, nint exponent, nint modulus, nint context, nint montgomery);
        }
    }
}
