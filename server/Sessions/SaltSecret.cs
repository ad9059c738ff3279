using System.Security.Cryptography;

namespace Testbed.Server.Sessions;

/// <summary>The secret the server salts are derived from: 32 random bytes in the data directory, mode 0600.</summary>
internal static class SaltSecret
{
    private const string FileName = "salt-secret.bin";

    public static byte[] LoadOrCreate(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }

        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(secret);
        return secret;
    }
}
