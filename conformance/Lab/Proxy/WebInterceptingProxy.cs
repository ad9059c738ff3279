using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>
/// The lab's man-in-the-middle for the WebSocket and HTTP transports, so that a browser can go through it: open
/// the proxy's address in the browser and the page, its schemas and server-info come from the upstream server,
/// while <c>/apiws</c> (each WebSocket's byte stream, cut into frames as for TCP) and <c>POST /api</c> (one packet
/// per request and per answer) pass through <see cref="ProxyCore"/>. For HTTP, whose packets are requests and
/// answers, drop, delay, duplicate and append-block apply; hold and replay-after need a stream and are ignored.
/// </summary>
public sealed class WebInterceptingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly int[] _counts = new int[2]; // HTTP packets per direction, for rule indexes

    private WebInterceptingProxy(WebApplication app, HttpClient http, ProxyCore core)
    {
        _app = app;
        _http = http;
        Core = core;
    }

    /// <summary>The rules, the capture and the connections.</summary>
    public ProxyCore Core { get; }

    /// <summary>The port it listens on.</summary>
    public int Port => new Uri(_app.Urls.First()).Port;

    /// <summary>Starts listening on <paramref name="listen"/>, relaying to the server at <paramref name="upstream"/> (http://host:port).</summary>
    public static async Task<WebInterceptingProxy> StartAsync(IPEndPoint listen, Uri upstream, ProxyCore core)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen));

        // The proxy's owner decides when it stops (the lab command on SIGINT/SIGTERM, a test when it is done): the host
        // must not take the process's signals, nor wait the default 30 s for relayed long polls when it stops.
        builder.Services.AddSingleton<IHostLifetime, OwnerControlledLifetime>();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(1));
        WebApplication app = builder.Build();
        var http = new HttpClient { BaseAddress = upstream, Timeout = TimeSpan.FromMinutes(2) };
        var proxy = new WebInterceptingProxy(app, http, core);
        int httpConnection = core.NextConnectionId();
        app.UseWebSockets();
        app.Map("/apiws", proxy.RelayWebSocketAsync);
        app.MapPost("/api", context => proxy.RelayHttpPacketAsync(context, httpConnection));
        app.Map("/{**path}", proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task RelayWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol("binary");
        var address = new UriBuilder(_http.BaseAddress!) { Scheme = _http.BaseAddress!.Scheme == "https" ? "wss" : "ws", Path = "/apiws" }.Uri;
        try
        {
            await upstream.ConnectAsync(address, context.RequestAborted);
        }
        catch (WebSocketException e)
        {
            Core.Capture.Add(Core.NextConnectionId(), "close", detail: $"the upstream {address} refused: {e.Message}");
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        using WebSocket client = await context.WebSockets.AcceptWebSocketAsync("binary");
        ProxiedConnection connection = Core.Open("websocket",
            WebSocketStream.Create(client, WebSocketMessageType.Binary, ownsWebSocket: false),
            WebSocketStream.Create(upstream, WebSocketMessageType.Binary, ownsWebSocket: false));
        await connection.Completion;
    }

    private async Task RelayHttpPacketAsync(HttpContext context, int connection)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        byte[]? request = await ApplyAsync(connection, PacketDirection.ClientToServer, body.ToArray(), out bool duplicate);
        if (request is null)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        HttpResponseMessage answer = await PostAsync(request, context.RequestAborted);
        if (duplicate)
        {
            Core.Capture.Add(connection, "duplicated", PacketDirection.ClientToServer, 0, null, request);
            (await PostAsync(request, context.RequestAborted)).Dispose();
        }

        using (answer)
        {
            byte[] packet = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
            byte[]? reply = await ApplyAsync(connection, PacketDirection.ServerToClient, packet, out _);
            context.Response.StatusCode = reply is null ? StatusCodes.Status502BadGateway : (int)answer.StatusCode;
            context.Response.ContentType = "application/octet-stream";
            if (reply is not null)
            {
                await context.Response.Body.WriteAsync(reply, context.RequestAborted);
            }
        }
    }

    private Task<HttpResponseMessage> PostAsync(byte[] packet, CancellationToken cancel) =>
        _http.PostAsync("/api", new ByteArrayContent(packet), cancel);

    // The rules for one HTTP packet: null when it is dropped.
    private Task<byte[]?> ApplyAsync(int connection, PacketDirection direction, byte[] payload, out bool duplicate)
    {
        int index = Interlocked.Increment(ref _counts[(int)direction]);
        duplicate = false;
        TimeSpan delay = TimeSpan.Zero;
        foreach (ProxyRule rule in Core.Rules.Where(r => r.Matches(direction, index)))
        {
            switch (rule.Action)
            {
                case RuleAction.Drop:
                    Core.Capture.Add(connection, "dropped", direction, index, "http", payload);
                    return Task.FromResult<byte[]?>(null);
                case RuleAction.AppendBlock:
                    payload = [.. payload, .. RandomNumberGenerator.GetBytes(16)];
                    break;
                case RuleAction.Delay:
                    delay = TimeSpan.FromMilliseconds(rule.Argument);
                    break;
                case RuleAction.Duplicate:
                    duplicate = true;
                    break;
            }
        }

        return ForwardLaterAsync(connection, direction, index, payload, delay);
    }

    private async Task<byte[]?> ForwardLaterAsync(int connection, PacketDirection direction, int index, byte[] payload, TimeSpan delay)
    {
        await Task.Delay(delay);
        Core.Capture.Add(connection, "forwarded", direction, index, "http", payload);
        return payload;
    }

    // Everything that is not a packet (the page, its scripts, the schemas, server-info) goes through untouched.
    private async Task ForwardAsync(HttpContext context)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        using HttpResponseMessage answer = await _http.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _http.CancelPendingRequests();
        foreach (ProxiedConnection connection in Core.Connections.Values)
        {
            await connection.DisposeAsync();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}
