using System.Buffers;
using System.Buffers.Binary;
using Testbed.Server.Sessions;

namespace Testbed.Server.Transport;

/// <summary>
/// The HTTP transport: POST /api with one payload as the body; the answer is the response body, or a transport error
/// as the HTTP status (404, 429, 444) with the 4-byte code as the body, or an empty body when there is nothing to say.
/// A request carrying http_wait is held open until its session has messages or max_wait passes (docs/protocol.md §6).
/// </summary>
internal static class HttpTransport
{
    public static async Task HandleAsync(HttpContext context, PacketProcessor processor, EncryptedMessageProcessor sessions,
        ServerSettings settings)
    {
        (byte[]? body, int refusal) = await ReadBodyAsync(context.Request, settings.MaxPacketLength, context.RequestAborted);
        if (body is null)
        {
            context.Response.StatusCode = refusal;
            return;
        }

        var exchange = new HttpExchange(new PacketOrigin("http", context.Connection.RemoteIpAddress));
        processor.Process(body, mayHavePadding: false, exchange);
        if (exchange is { PacketCount: 0, Error: 0, Wait: { } wait, Session: { } session })
        {
            await WaitForMessagesAsync(exchange, wait.MaxWait, wait.WaitAfter, context.RequestAborted);
            sessions.Flush(session, exchange);
        }

        byte[]? packet = exchange.Finish();
        context.Response.ContentType = "application/octet-stream";
        if (exchange.Error != 0 && packet is null)
        {
            byte[] code = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(code, exchange.Error);
            context.Response.StatusCode = -exchange.Error;
            await context.Response.Body.WriteAsync(code, context.RequestAborted);
            return;
        }

        if (packet is not null)
        {
            await context.Response.Body.WriteAsync(packet, context.RequestAborted);
        }
    }

    /// <summary>Until the session is woken (then <paramref name="waitAfter"/> more, to gather), max_wait, or the client leaves.</summary>
    private static async Task WaitForMessagesAsync(HttpExchange exchange, TimeSpan maxWait, TimeSpan waitAfter, CancellationToken aborted)
    {
        try
        {
            await exchange.Woken.WaitAsync(maxWait, aborted);
            if (waitAfter > TimeSpan.Zero)
            {
                await Task.Delay(waitAfter, aborted);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // max_wait passed, or the client went away: answer with whatever is due (possibly nothing).
        }
    }

    /// <summary>
    /// The body, or null and the status to answer: 413 when it is longer than <paramref name="limit"/> (read no further
    /// than that), or the status of Kestrel's own refusal — 408 for a body slower than MinRequestBodyDataRate, 413 for
    /// a chunked body past MaxRequestBodySize. Kestrel signals those by throwing from the read; uncaught, each was
    /// logged as an unhandled exception with its stack trace (issue 13), though the client got the right status.
    /// </summary>
    private static async Task<(byte[]? Body, int Refusal)> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancel)
    {
        if (request.ContentLength > limit)
        {
            return (null, StatusCodes.Status413PayloadTooLarge);
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                Memory<byte> chunk = buffer.GetMemory(4096);
                int read = await request.Body.ReadAsync(chunk, cancel);
                if (read == 0)
                {
                    return (buffer.WrittenSpan.ToArray(), 0);
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    return (null, StatusCodes.Status413PayloadTooLarge);
                }
            }
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode);
        }
    }
}
