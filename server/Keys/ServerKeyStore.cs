using Testbed.Protocol.Handshake;

namespace Testbed.Server.Keys;

/// <summary>
/// The server's RSA-2048 key: generated into the data directory on first start (private key file mode 0600), loaded
/// afterwards, so clients can pin it across restarts. A generated key's fingerprint does not begin with a zero hex
/// digit, which two npm clients cannot look up (<see cref="RsaKeyPair.GenerateWithoutLeadingZeroFingerprint"/>).
/// </summary>
public sealed class ServerKeyStore : IDisposable
{
    private const string PrivateKeyFile = "server-key.pem";
    private const string PublicKeyFile = "server-public.pem";

    /// <summary>Loads the key from <paramref name="dataDirectory"/>, generating it first if absent.</summary>
    public ServerKeyStore(string dataDirectory)
    {
        string privatePath = Path.Combine(dataDirectory, PrivateKeyFile);
        if (File.Exists(privatePath))
        {
            Key = RsaKeyPair.FromPem(File.ReadAllText(privatePath));
        }
        else
        {
            Key = RsaKeyPair.GenerateWithoutLeadingZeroFingerprint();
            WritePrivate(privatePath, Key.ToPrivatePem());
            Generated = true;
        }

        PublicPem = Key.PublicKey.ToPem();
        File.WriteAllText(Path.Combine(dataDirectory, PublicKeyFile), PublicPem);
    }

    /// <summary>The key pair.</summary>
    public RsaKeyPair Key { get; }

    /// <summary>The public key as PKCS#1 PEM, as served at /server-key.pem.</summary>
    public string PublicPem { get; }

    /// <summary>Whether this start generated the key.</summary>
    public bool Generated { get; }

    /// <summary>The fingerprint as clients print it: 16 hex digits of the unsigned value.</summary>
    public string FingerprintHex => ((ulong)Key.PublicKey.Fingerprint).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => Key.Dispose();

    private static void WritePrivate(string path, string pem)
    {
        // Create the file with owner-only permissions before any key byte is written.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
