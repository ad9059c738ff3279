using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Threading.Channels;

namespace Testbed.Protocol.Client;

/// <summary>
/// The HTTP transport: each packet is one POST to /api and the response body is the answer, queued for
/// <see cref="ReceiveAsync"/> — an empty body as an empty packet, a transport error (the HTTP status) as the usual
/// 4-byte code packet. Several POSTs may be in flight at once (one of them an http_wait long poll). Thread-safe.
/// </summary>
public sealed class HttpPacketTransport : IPacketTransport
{
    private readonly HttpClient _client;
    private readonly Uri _endpoint;
    private readonly Channel<byte[]> _answers = Channel.CreateUnbounded<byte[]>();

    /// <summary>Posts to <paramref name="endpoint"/> (such as http://127.0.0.1:5000/api).</summary>
    public HttpPacketTransport(Uri endpoint)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
    }

    /// <inheritdoc />
    public bool IsRequestResponse => true;

    /// <summary>The HTTP status of the last answer.</summary>
    public int LastStatus { get; private set; }

    /// <inheritdoc />
    /// <remarks>Returns when the answer has arrived and been queued.</remarks>
    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        using var content = new ReadOnlyMemoryContent(packet);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using HttpResponseMessage response = await _client.PostAsync(_endpoint, content, cancel).ConfigureAwait(false);
        LastStatus = (int)response.StatusCode;
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            body = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(body, -LastStatus);
        }

        _answers.Writer.TryWrite(body);
    }

    /// <inheritdoc />
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default)
    {
        try
        {
            return await _answers.Reader.ReadAsync(cancel).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _answers.Writer.TryComplete();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
