using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Harness;

/// <summary>Where the tool gets a server's RSA public key: a PEM file, or the reference server's /server-info.</summary>
internal static class ServerKeyLoader
{
    /// <summary>The key; a <see cref="TargetProblem"/> naming the file or URL when it cannot be had.</summary>
    public static async Task<RsaPublicKey> LoadAsync(string? rsaKeyFile, string? serverInfoUrl, CancellationToken cancel) =>
        (rsaKeyFile, serverInfoUrl) switch
        {
            (string file, _) => Parse(await InputFile.ReadTextAsync("--rsa-key", file, cancel), $"--rsa-key {file}"),
            (null, string url) => Parse(await ReadServerInfoAsync(url, cancel), $"--server-info {url}: rsaKeys[0].pem"),
            _ => throw new TargetProblem("the server's RSA key is needed: --rsa-key FILE.pem or --server-info URL"),
        };

    private static async Task<string> ReadServerInfoAsync(string url, CancellationToken cancel)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new TargetProblem($"--server-info {url}: not an http:// or https:// URL");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = InputFile.MaxLength };
        try
        {
            JsonElement info = await http.GetFromJsonAsync<JsonElement>(uri, cancel).ConfigureAwait(false);
            return info.TryGetProperty("rsaKeys", out JsonElement keys) && keys.ValueKind == JsonValueKind.Array && keys.GetArrayLength() > 0
                && keys[0].TryGetProperty("pem", out JsonElement pem) && pem.GetString() is { } text
                    ? text
                    : throw new TargetProblem($"--server-info {url}: the JSON has no rsaKeys[0].pem (is this the reference server's /server-info?)");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw e is HttpRequestException ? TargetProblem.From(uri, e) : new TargetProblem($"--server-info {url}: {e.Message}", e);
        }
    }

    private static RsaPublicKey Parse(string pem, string source)
    {
        try
        {
            return RsaPublicKey.FromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new TargetProblem($"{source}: not an RSA public key in PEM (expected -----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----)", e);
        }
    }
}
