using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Transport;
using Testbed.Server;
using Testbed.Server.Keys;

namespace Testbed.Bench;

/// <summary>The reference server on free loopback ports with a temporary data directory, in this process.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private BenchServer(WebApplication app, string dataDirectory, int httpPort, int tcpPort)
    {
        (_app, _dataDirectory, HttpPort, TcpPort) = (app, dataDirectory, httpPort, tcpPort);
    }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public RsaPublicKey PublicKey => _app.Services.GetRequiredService<ServerKeyStore>().Key.PublicKey;

    /// <summary>Starts the server; <paramref name="settings"/> are added to its command line (--Testbed:Redis=…).</summary>
    public static async Task<BenchServer> StartAsync(params string[] settings)
    {
        string data = Directory.CreateTempSubdirectory("testbed-bench-").FullName;
        int http = FreePort(), tcp = FreePort();
        WebApplication app = ServerApp.Build(
        [
            $"--Testbed:DataDirectory={data}", $"--Testbed:HttpEndpoint=127.0.0.1:{http}", $"--Testbed:TcpEndpoint=127.0.0.1:{tcp}",
            "--Testbed:HandshakeMessagesPerMinute=1000000", "--Logging:LogLevel:Default=Warning", .. settings,
        ]);
        await app.StartAsync();
        return new BenchServer(app, data, http, tcp);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The baseline for the round-trip benchmarks: a plain echo on the same stack — Kestrel TCP and WebSocket, the same
/// framing code — that sends each payload straight back without any MTProto work.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoServer(WebApplication app, int httpPort, int tcpPort) => (_app, HttpPort, TcpPort) = (app, httpPort, tcpPort);

    public int HttpPort { get; }

    public int TcpPort { get; }

    public static async Task<EchoServer> StartAsync()
    {
        int http = BenchServer.FreePort(), tcp = BenchServer.FreePort();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(["--Logging:LogLevel:Default=Warning"]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, http);
            kestrel.Listen(IPAddress.Loopback, tcp, listen => listen.UseConnectionHandler<TcpEcho>());
        });
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Map("/echo", WebSocketEchoAsync);
        await app.StartAsync();
        return new EchoServer(app, http, tcp);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task WebSocketEchoAsync(HttpContext context)
    {
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var echo = new FrameEcho();
        byte[] buffer = new byte[64 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult message = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (message.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            foreach (byte[] frame in echo.Receive(buffer.AsSpan(0, message.Count)))
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, context.RequestAborted);
            }
        }
    }

    private sealed class TcpEcho : ConnectionHandler
    {
        public override async Task OnConnectedAsync(ConnectionContext connection)
        {
            var echo = new FrameEcho();
            PipeReader input = connection.Transport.Input;
            while (true)
            {
                ReadResult read = await input.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    foreach (byte[] frame in echo.Receive(segment.Span))
                    {
                        await connection.Transport.Output.WriteAsync(frame);
                    }
                }

                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Detects the framing, cuts frames and frames each payload again, as the MTProto server does.</summary>
    private sealed class FrameEcho
    {
        private readonly FrameBuffer _buffer = new(4 << 20);
        private FrameReader? _reader;
        private FrameWriter? _writer;

        public List<byte[]> Receive(ReadOnlySpan<byte> data)
        {
            _buffer.Append(data);
            if (_reader is null && FramingDetector.Detect(_buffer.Data, out int marker) is { } framing)
            {
                (_reader, _writer) = (new FrameReader(framing, 1 << 20), new FrameWriter(framing));
                _buffer.Consume(marker);
            }

            var frames = new List<byte[]>();
            while (_reader is not null && _buffer.TakeFrame(_reader) is { } payload)
            {
                frames.Add(_writer!.Frame(payload));
            }

            return frames;
        }
    }
}
