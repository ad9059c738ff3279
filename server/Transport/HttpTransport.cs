using System.Buffers;

namespace Testbed.Server.Transport;

/// <summary>
/// The HTTP transport: POST /api with one payload as the body; the answer is the response body, or a transport
/// error as the HTTP status (404, 429, 444) with the 4-byte code as the body (docs/protocol.md §6).
/// </summary>
internal static class HttpTransport
{
    public static async Task HandleAsync(HttpContext context, PacketProcessor processor, ServerSettings settings)
    {
        byte[]? body = await ReadBodyAsync(context.Request, settings.MaxPacketLength, context.RequestAborted);
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        PacketResult result = processor.Process(body, mayHavePadding: false, new PacketOrigin("http", context.Connection.RemoteIpAddress));
        context.Response.ContentType = "application/octet-stream";
        if (result.Response is null && result.TransportError == 0)
        {
            return; // nothing to say: 200 with an empty body (long polling with http_wait comes later)
        }

        if (result.Response is null)
        {
            context.Response.StatusCode = -result.TransportError;
            await context.Response.Body.WriteAsync(result.ErrorPayload(), context.RequestAborted);
            return;
        }

        await context.Response.Body.WriteAsync(result.Response, context.RequestAborted);
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancel)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            Memory<byte> chunk = buffer.GetMemory(4096);
            int read = await request.Body.ReadAsync(chunk, cancel);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }
}
