namespace Testbed.Conformance.Harness;

/// <summary>Tells an MTProto HTTP endpoint from any other URL on a web server.</summary>
internal static class HttpEndpoint
{
    /// <summary>
    /// Whether <paramref name="endpoint"/> answers like an MTProto endpoint: an MTProto server refuses an empty packet
    /// with a transport error, an HTTP status whose body is the 4-byte code (docs/protocol.md §6), where a web server
    /// answers a path it does not serve with a page or nothing. Costs one request, made only to explain a failure.
    /// </summary>
    public static async Task<bool> SpeaksMtProtoAsync(Uri endpoint, CancellationToken cancel)
    {
        // An MTProto error body is 4 bytes; anything much larger is a page, and need not be read whole.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = 64 * 1024 };
        using var empty = new ByteArrayContent([]);
        try
        {
            using HttpResponseMessage response = await http.PostAsync(endpoint, empty, cancel).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);
            return response.IsSuccessStatusCode || TransportErrors.Read(body) is not null;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
