using System.Buffers.Binary;
using System.Net.Http.Headers;

namespace Testbed.Protocol.Client;

/// <summary>
/// The HTTP transport: each packet is one POST to /api and the response body is the answer. A transport error
/// comes back as the HTTP status; it is handed on as the usual 4-byte code packet, and <see cref="LastStatus"/> keeps
/// the status itself.
/// </summary>
public sealed class HttpPacketTransport : IPacketTransport
{
    private readonly HttpClient _client;
    private readonly Uri _endpoint;
    private readonly Queue<byte[]> _answers = new();

    /// <summary>Posts to <paramref name="endpoint"/> (such as http://127.0.0.1:5000/api).</summary>
    public HttpPacketTransport(Uri endpoint)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _client = new HttpClient();
    }

    /// <summary>The HTTP status of the last answer.</summary>
    public int LastStatus { get; private set; }

    /// <inheritdoc />
    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        using var content = new ReadOnlyMemoryContent(packet);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using HttpResponseMessage response = await _client.PostAsync(_endpoint, content, cancel).ConfigureAwait(false);
        LastStatus = (int)response.StatusCode;
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            if (body.Length > 0)
            {
                _answers.Enqueue(body);
            }
        }
        else
        {
            byte[] code = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(code, -LastStatus);
            _answers.Enqueue(code);
        }
    }

    /// <inheritdoc />
    /// <remarks>HTTP answers only what was asked: with nothing pending this returns null at once.</remarks>
    public Task<byte[]?> ReceiveAsync(CancellationToken cancel = default) =>
        Task.FromResult(_answers.TryDequeue(out byte[]? answer) ? answer : null);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
