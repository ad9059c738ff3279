using Microsoft.AspNetCore.Connections;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Server.Chat;
using Testbed.Server.Sessions;
using Testbed.Server.Faults;
using Testbed.Server.Keys;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Server;

/// <summary>Builds the reference server: settings, storage, keys, the handshake, and the three transports.</summary>
public static class ServerApp
{
    /// <summary>Builds the application from command-line arguments and the usual ASP.NET configuration sources.</summary>
    public static WebApplication Build(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        ServerSettings settings = builder.Configuration.GetSection("Testbed").Get<ServerSettings>() ?? new ServerSettings();
        Directory.CreateDirectory(settings.DataDirectory);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.MaxPacketLength;
            kestrel.Listen(ServerSettings.ParseEndpoint(settings.HttpEndpoint, nameof(settings.HttpEndpoint)));
            kestrel.Listen(ServerSettings.ParseEndpoint(settings.TcpEndpoint, nameof(settings.TcpEndpoint)),
                listen => listen.UseConnectionHandler<TcpConnectionHandler>());
        });

        ServerBehaviour behaviour = FaultProfile.Combine(settings.Faults);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<TimeProvider>(settings.LabClock ? new LabClock() : TimeProvider.System);
        builder.Services.AddSingleton(_ => new ServerKeyStore(settings.DataDirectory));
        builder.Services.AddSingleton(_ => new Database(Path.Combine(settings.DataDirectory, "testbed.db")));
        builder.Services.AddSingleton<AuthKeyStore>();
        builder.Services.AddSingleton(services => new SecurityEventLog(settings.DataDirectory, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(_ => new HandshakeRateLimiter(settings.HandshakeMessagesPerMinute));
        builder.Services.AddSingleton(services => new HandshakeServer(new HandshakeServerOptions
        {
            RsaKeys = [services.GetRequiredService<ServerKeyStore>().Key],
            DataCenters = new HashSet<int> { settings.DataCenter },
            Clock = services.GetRequiredService<TimeProvider>(),
            IsAuthKeyIdTaken = services.GetRequiredService<AuthKeyStore>().Contains,
            CheckClientPublicValue = !behaviour.ClientPublicValueUnchecked,
            DhPrime = behaviour.DhPrime ?? DhGroup.PublishedPrime,
            PendingLifetime = TimeSpan.FromSeconds(settings.PendingHandshakeSeconds),
        }));
        builder.Services.AddSingleton(_ => new ServerSaltSchedule(SaltSecret.LoadOrCreate(settings.DataDirectory)));
        builder.Services.AddSingleton(behaviour);
        builder.Services.AddSingleton(services => new SessionRegistry(behaviour.Admission, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<SessionDelivery>();
        builder.Services.AddSingleton<ChatStore>();
        builder.Services.AddSingleton<ChatService>();
        builder.Services.AddSingleton<ServiceMessageHandler>();
        builder.Services.AddSingleton<EncryptedMessageProcessor>();
        builder.Services.AddSingleton<PacketProcessor>();

        WebApplication app = builder.Build();

        // Made now, not on first use: sessions refuse msg_ids from before the registry existed (a restart forgets them).
        app.Services.GetRequiredService<SessionRegistry>();
        app.UseWebSockets();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = ClientFiles.Provider });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = ClientFiles.Provider });
        app.MapGet("/schema/mtproto.tl", () => Results.Text(Testbed.Protocol.Tl.TlSchema.MTProtoText, "text/plain; charset=utf-8"));
        app.MapGet("/schema/chat.tl", () => Results.Text(Testbed.Protocol.Tl.TlSchema.ChatText, "text/plain; charset=utf-8"));
        app.MapGet("/server-info", (ServerKeyStore keys) => Results.Json(ServerInfo.Describe(keys, settings)));
        app.MapGet("/server-key.pem", (ServerKeyStore keys) => Results.Text(keys.PublicPem, "application/x-pem-file"));
        app.MapPost("/api", (HttpContext context, PacketProcessor processor, EncryptedMessageProcessor sessions) =>
            HttpTransport.HandleAsync(context, processor, sessions, settings));
        app.Map("/apiws", (HttpContext context, PacketProcessor processor, SecurityEventLog events, TimeProvider clock, ILoggerFactory logs) =>
            WebSocketTransport.HandleAsync(context, processor, settings, events, clock, logs.CreateLogger("Testbed.WebSocket")));

        if (settings.LabClock)
        {
            LabClock.MapEndpoints(app);
        }

        app.Lifetime.ApplicationStarted.Register(() => Announce(app, settings));
        return app;
    }

    private static void Announce(WebApplication app, ServerSettings settings)
    {
        ServerKeyStore keys = app.Services.GetRequiredService<ServerKeyStore>();
        Database database = app.Services.GetRequiredService<Database>();
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Testbed.Server");
        ServerLog.ListeningHttp(log, settings.HttpEndpoint);
        ServerLog.ListeningTcp(log, settings.TcpEndpoint);
        ServerLog.DataDirectory(log, Path.GetFullPath(settings.DataDirectory), database.SchemaVersion);
        ServerLog.Fingerprint(log, keys.FingerprintHex, keys.Generated ? " (generated now)" : "");
        if (settings.LabClock)
        {
            ServerLog.LabClockOn(log);
        }

        foreach (string fault in settings.Faults)
        {
            ServerLog.FaultOn(log, fault, FaultCatalog.Find(fault)!.Weakness);
        }
    }
}
