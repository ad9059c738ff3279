using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Testbed.Protocol.Interop;

/// <summary>
/// The system OpenSSL libcrypto that .NET itself loads on Linux. The library calls into it for the two operations
/// .NET does not expose fast enough — big-number exponentiation and textbook RSA — and falls back to managed code
/// where it is missing.
/// </summary>
internal static class OpenSslLibrary
{
    /// <summary>The library name (OpenSSL 3, as on Debian 12 and current distributions).</summary>
    public const string Name = "libcrypto.so.3";

    /// <summary>Whether libcrypto could be loaded.</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && NativeLibrary.TryLoad(Name, out _);
}
