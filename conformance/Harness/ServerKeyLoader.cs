using System.Net.Http.Json;
using System.Text.Json;

namespace Testbed.Conformance.Harness;

/// <summary>Where the tool gets a server's RSA public key: a PEM file, or the reference server's /server-info.</summary>
internal static class ServerKeyLoader
{
    /// <summary>The PEM text; ArgumentException when neither source is given.</summary>
    public static async Task<string> LoadPemAsync(string? rsaKeyFile, string? serverInfoUrl, CancellationToken cancel)
    {
        if (rsaKeyFile is not null)
        {
            return await File.ReadAllTextAsync(rsaKeyFile, cancel);
        }

        if (serverInfoUrl is not null)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            JsonElement info = await http.GetFromJsonAsync<JsonElement>(serverInfoUrl, cancel);
            return info.GetProperty("rsaKeys")[0].GetProperty("pem").GetString() ?? throw new FormatException("server-info has no rsaKeys[0].pem");
        }

        throw new ArgumentException("the server's RSA key is needed: --rsa-key FILE.pem or --server-info URL");
    }
}
