using Microsoft.AspNetCore.Connections;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Server.Chat;
using Testbed.Server.Sessions;
using Testbed.Server.Faults;
using Testbed.Server.Faults.Violations;
using Testbed.Server.Keys;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Server;

/// <summary>Builds the reference server: settings, storage, keys, the handshake, and the three transports.</summary>
public static class ServerApp
{
    /// <summary>
    /// Log levels used unless configuration says otherwise: the framework's per-request information lines (thousands
    /// in minutes of ordinary use) and its "Now listening on" lines (which call the MTProto TCP port http://) are left
    /// out; the server's own start-up lines and events are kept. The host's "Hosting failed to start" error is left out
    /// too: it is a stack trace of a failure the server reports itself in one line (<see cref="StartAsync"/>), and any
    /// other start-up failure still ends the process with its trace. The lowest configuration source, so appsettings,
    /// <c>Logging__LogLevel__Microsoft=…</c> or <c>--Logging:LogLevel:Microsoft=Information</c> still override it.
    /// </summary>
    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:System"] = "Warning",
        ["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "Critical",
    };

    /// <summary>Builds the application from command-line arguments and the usual ASP.NET configuration sources.</summary>
    /// <exception cref="ServerStartupException">A setting is wrong or the data directory cannot be used.</exception>
    public static WebApplication Build(string[] args) => Build(args, []);

    /// <summary>
    /// The ports a started application listens on: what a port of 0 in the settings turned into. Binding port 0 and
    /// reading the result is the only race-free way to run a server beside others (a port found free and handed over
    /// can be taken in between).
    /// </summary>
    public static (int Http, int Tcp) BoundPorts(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        ServerEndpoints bound = app.Services.GetRequiredService<ServerEndpoints>();
        return (bound.Http.Bound.Port, bound.Tcp.Bound.Port);
    }

    /// <summary>
    /// Builds the application with test-only violations in force (each breaks one conformance requirement; see
    /// <see cref="Faults.Violations.Violation"/>). Internal: only the test assemblies can reach it.
    /// </summary>
    internal static WebApplication Build(string[] args, IReadOnlyCollection<Faults.Violations.Violation> violations)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = LoggingDefaults });
        ServerSettings settings = ReadSettings(builder.Configuration);
        ServerEndpoint http = ServerEndpoint.Parse(nameof(settings.HttpEndpoint), "HTTP/WebSocket", "http", settings.HttpEndpoint);
        ServerEndpoint tcp = ServerEndpoint.Parse(nameof(settings.TcpEndpoint), "MTProto TCP", "tcp", settings.TcpEndpoint);
        InDataDirectory(settings, () => Directory.CreateDirectory(settings.DataDirectory));

        // The gate and the admission are made when Kestrel starts, after the data directory is open (below), so that
        // the descriptors the server holds by then are kept out of the socket budget.
        GateKestrelTransport(builder.Services);
        builder.Services.AddSingleton(services => new ConnectionAdmission(
            settings.MaxConnections > 0 ? settings.MaxConnections : DescriptorLimit.ConnectionCapWithin(services.GetRequiredService<AcceptGate>().Sockets),
            settings.MaxConnectionsPerAddress));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ConnectionAdmission admission = kestrel.ApplicationServices.GetRequiredService<ConnectionAdmission>();
            kestrel.Limits.MaxRequestBodySize = settings.MaxPacketLength;
            kestrel.Listen(http.Address, listen => (http.Listener = listen).Use(admission.Admit));
            kestrel.Listen(tcp.Address, listen => (tcp.Listener = listen).Use(admission.Admit).UseConnectionHandler<TcpConnectionHandler>());
        });
        ServerEndpoint? publicTcp = settings.PublicTcpEndpoint is { } advertised
            ? ServerEndpoint.Parse(nameof(settings.PublicTcpEndpoint), "the MTProto TCP address clients are told", "tcp", advertised)
            : null;
        builder.Services.AddSingleton(new ServerEndpoints(http, tcp, publicTcp));
        builder.Services.AddSingleton(ConnectionTimeouts.From(settings));
        builder.Services.AddSingleton(new Protocol.Transport.BufferBudget(settings.MaxBufferedBytes));
        builder.Services.AddSingleton(services => new MemoryTrim(services.GetRequiredService<Database>().ReleaseIdleConnections));
        builder.Services.AddSingleton<ConnectionHeartbeat>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConnectionHeartbeat>());

        ServerBehaviour behaviour = FaultProfile.Combine(settings.Faults) with { Violations = violations.ToHashSet() };
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<TimeProvider>(settings.LabClock ? new LabClock() : TimeProvider.System);
        builder.Services.AddSingleton(_ => new ServerKeyStore(settings.DataDirectory));
        builder.Services.AddSingleton(_ => OpenDatabase(settings));
        builder.Services.AddSingleton<AuthKeyStore>();
        builder.Services.AddSingleton(services => new SecurityEventLog(settings.DataDirectory, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<SecurityEventLog>>(), settings.SecurityLogMaxBytes, settings.SecurityLogFiles));
        builder.Services.AddSingleton(_ => new HandshakeRateLimiter(behaviour.Violates(Faults.Violations.RobustnessViolations.HandshakeFloodUnlimited)
            ? Faults.Violations.RobustnessViolations.UnlimitedHandshakesPerMinute : settings.HandshakeMessagesPerMinute, settings.GarbageMessagesPerMinute));
        builder.Services.AddSingleton(services => new HandshakeServer(new HandshakeServerOptions
        {
            RsaKeys = [services.GetRequiredService<ServerKeyStore>().Key],
            DataCenters = new HashSet<int> { settings.DataCenter },
            Clock = services.GetRequiredService<TimeProvider>(),
            IsAuthKeyIdTaken = services.GetRequiredService<AuthKeyStore>().Contains,
            PendingStore = services.GetService<IPendingHandshakeStore>(),
            CheckClientPublicValue = !behaviour.ClientPublicValueUnchecked,
            DhPrime = behaviour.DhPrime ?? DhGroup.PublishedPrime,
            PendingLifetime = behaviour.Violates(HandshakeViolations.PendingHandshakesKept) ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(settings.PendingHandshakeSeconds),
            EchoClientNonce = !behaviour.Violates(HandshakeViolations.ResPqNonceNotEchoed),
            CheckKeyFingerprint = !behaviour.Violates(HandshakeViolations.UnknownFingerprintAccepted),
            CheckFactorValues = !behaviour.Violates(HandshakeViolations.FactorValuesUnchecked),
            CheckFactorEncoding = !behaviour.Violates(HandshakeViolations.FactorEncodingUnchecked),
            RefuseUnreadableInnerData = !behaviour.Violates(HandshakeViolations.UnreadableInnerDataAnswered),
            CheckServerNonce = !behaviour.Violates(HandshakeViolations.UnknownServerNonceAccepted),
            ReplayResentQueries = !behaviour.Violates(HandshakeViolations.ResentQueryNotReplayed),
            PoisonRefusedHandshakes = !behaviour.Violates(HandshakeViolations.RefusalDoesNotEndHandshake),
            CheckDataCenter = !behaviour.Violates(HandshakeViolations.UnservedDataCenterAccepted),
            AcceptLegacyRsa = settings.AcceptLegacyRsa || behaviour.Violates(HandshakeViolations.LegacyRsaAccepted),
            CheckRetryId = !behaviour.Violates(HandshakeViolations.RetryIdUnchecked),
            CheckInnerData = !behaviour.Violates(HandshakeViolations.InnerDataUnchecked),
            RefuseForeignInnerData = !behaviour.Violates(HandshakeViolations.ForeignInnerDataAnswered),
            CheckClientInnerData = !behaviour.Violates(HandshakeViolations.ClientInnerDataUnchecked),
            AnswerReqPq = !behaviour.Violates(HandshakeViolations.ReqPqRefused),
            CheckTemporaryKeyMinimum = !behaviour.Violates(HandshakeViolations.ZeroExpiryAccepted),
        }));
        builder.Services.AddSingleton(_ => new ServerSaltSchedule(SaltSecret.LoadOrCreate(settings.DataDirectory)));
        builder.Services.AddSingleton(behaviour);
        builder.Services.AddSingleton(MemoryBounds.From(settings));
        AdmissionPolicy admission = behaviour.Admission with
        {
            CheckMsgIdLowBits = !behaviour.Violates(Faults.Violations.MsgIdViolations.LowBitsUnchecked),
            MaxPast = behaviour.Violates(Faults.Violations.MsgIdViolations.PastWindowNarrowed) ? Faults.Violations.MsgIdViolations.NarrowedMaxPast : behaviour.Admission.MaxPast,
            MaxFuture = behaviour.Violates(Faults.Violations.MsgIdViolations.FutureWindowNarrowed) ? Faults.Violations.MsgIdViolations.NarrowedMaxFuture : behaviour.Admission.MaxFuture,
            IgnoredSeqNoRefusals = Faults.Violations.SeqNoViolations.RefusalsNotMade(behaviour),
            LateMessagesOrderedBySeqNo = behaviour.Violates(Faults.Violations.SeqNoViolations.LateOrderedBySeqNo),
        };
        bool sharedHistory = Cluster.ClusterServices.Add(builder.Services, settings, behaviour, admission);
        builder.Services.AddSingleton(services => new SessionRegistry(admission, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<MemoryBounds>(), sharedHistory));
        builder.Services.AddSingleton<SessionDelivery>();
        builder.Services.AddSingleton<ChatStore>();
        builder.Services.AddSingleton<ChatService>();
        builder.Services.AddSingleton(services => new Api.HelpService(settings.DataCenter,
            () => services.GetRequiredService<ServerEndpoints>().AdvertisedTcp, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ServiceMessageHandler>();
        builder.Services.AddSingleton<EncryptedMessageProcessor>();
        builder.Services.AddSingleton<PacketProcessor>();

        WebApplication app = builder.Build();

        // Opened now, not on first use, so that a data directory the server cannot use stops it before it listens.
        InDataDirectory(settings, () =>
        {
            app.Services.GetRequiredService<ServerKeyStore>();
            app.Services.GetRequiredService<Database>();
            app.Services.GetRequiredService<SecurityEventLog>();
            app.Services.GetRequiredService<ServerSaltSchedule>();
        });

        // Made now, not on first use: sessions refuse msg_ids from before the registry existed (a restart forgets them).
        app.Services.GetRequiredService<SessionRegistry>();

        // Connected now, not on first use: the connection marks the cluster's epoch, and pushes from other nodes must
        // arrive before this node's first session asks for anything (docs/cluster.md).
        app.Services.GetService<Cluster.ClusterPushes>();
        app.Services.GetService<Cluster.ISessionDirectory>();
        app.UseWebSockets();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = ClientFiles.Provider });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = ClientFiles.Provider });
        app.MapGet("/schema/mtproto.tl", () => Results.Text(Testbed.Protocol.Tl.TlSchema.MTProtoText, "text/plain; charset=utf-8"));
        app.MapGet("/schema/chat.tl", () => Results.Text(Testbed.Protocol.Tl.TlSchema.ChatText, "text/plain; charset=utf-8"));
        app.MapGet("/schema/testbed.tl", () => Results.Text(Testbed.Protocol.Tl.TlSchema.TestbedText, "text/plain; charset=utf-8"));
        app.MapGet("/server-info", (ServerKeyStore keys, ServerEndpoints endpoints) => Results.Json(ServerInfo.Describe(keys, settings, endpoints)));
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

    /// <summary>Starts listening; a port that cannot be bound is reported with the setting that names it.</summary>
    /// <exception cref="ServerStartupException">An endpoint cannot be listened on (in use, not an address of this host).</exception>
    /// <remarks>Kestrel reports a port in use as an <see cref="IOException"/> naming the address, an address of another host as a bare socket error.</remarks>
    public static async Task StartAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (app.Services.GetRequiredService<ServerEndpoints>().All.FirstOrDefault(endpoint => endpoint.IsNamedIn(e)) is { } endpoint)
        {
            await app.DisposeAsync();
            throw new ServerStartupException(endpoint.ListenFailure(e), isSetting: false, e);
        }
        catch (System.Net.Sockets.SocketException e) when (app.Services.GetRequiredService<ServerEndpoints>().All.FirstOrDefault(endpoint => endpoint.AddressIsUnavailable()) is { } endpoint)
        {
            await app.DisposeAsync();
            throw new ServerStartupException(endpoint.ListenFailure(e), isSetting: false, e);
        }
    }

    private static ServerSettings ReadSettings(ConfigurationManager configuration)
    {
        ServerSettings settings;
        try
        {
            settings = configuration.GetSection("Testbed").Get<ServerSettings>() ?? new ServerSettings();
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the value, the key and the type: "Failed to convert configuration value 'x' at 'Testbed:MaxPacketLength' to type 'System.Int32'."
            throw new ServerStartupException(e.Message, isSetting: true, e);
        }

        return settings.Problem() is { } problem ? throw new ServerStartupException(problem, isSetting: true) : settings;
    }

    /// <summary>
    /// Puts an <see cref="AcceptGate"/> around Kestrel's socket transport, which WebApplication.CreateBuilder has
    /// registered already: the gate must see each socket as it is accepted, before Kestrel queues any work for it.
    /// </summary>
    private static void GateKestrelTransport(IServiceCollection services)
    {
        ServiceDescriptor sockets = services.Single(service => service.ServiceType == typeof(IConnectionListenerFactory)
            && service.ImplementationType == typeof(Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportFactory));
        services.Remove(sockets);
        services.AddSingleton(_ => new AcceptGate(DescriptorLimit.SocketBudget()));
        services.AddSingleton(provider => provider.GetRequiredService<AcceptGate>().Around(
            ActivatorUtilities.CreateInstance<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportFactory>(provider)));
    }

    /// <summary>Runs <paramref name="open"/>, reporting a file-system or database failure as the data directory's.</summary>
    private static void InDataDirectory(ServerSettings settings, Action open)
    {
        try
        {
            open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new ServerStartupException(
                $"cannot use the data directory {Path.GetFullPath(settings.DataDirectory)}: {e.Message.TrimEnd('.')}. Fix it, or choose another with --Testbed:DataDirectory=PATH.",
                isSetting: false, e);
        }
    }

    /// <summary>
    /// The storage backend the settings choose (docs/server.md, "Storage backends"). A PostgreSQL that cannot be
    /// reached, or refuses the login or the database, is reported in one line: made when Kestrel's handlers are, before
    /// the server listens. The connection string is not repeated: it may hold a password.
    /// </summary>
    /// <exception cref="ServerStartupException">PostgreSQL cannot be used.</exception>
    private static Database OpenDatabase(ServerSettings settings)
    {
        if (!settings.UsesPostgres)
        {
            return new SqliteDatabase(Path.Combine(settings.DataDirectory, "testbed.db"));
        }

        try
        {
            return new PostgresDatabase(settings.PostgresConnection!);
        }
        catch (Npgsql.NpgsqlException e)
        {
            var where = new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnection);
            string reason = e switch
            {
                Npgsql.PostgresException refusal => refusal.MessageText,
                { InnerException: System.Net.Sockets.SocketException socket } => $"{e.Message}: {socket.Message}",
                _ => e.Message,
            };
            throw new ServerStartupException(
                $"cannot use the PostgreSQL database {where.Database} on {where.Host}:{where.Port}: {reason.TrimEnd('.')}. Check that it runs and takes this login, or fix --Testbed:PostgresConnection.",
                isSetting: false, e);
        }
    }

    private static void Announce(WebApplication app, ServerSettings settings)
    {
        ServerKeyStore keys = app.Services.GetRequiredService<ServerKeyStore>();
        Database database = app.Services.GetRequiredService<Database>();
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Testbed.Server");
        ServerEndpoints endpoints = app.Services.GetRequiredService<ServerEndpoints>();
        ServerLog.ListeningHttp(log, endpoints.Http.Url, endpoints.Http.Bound.ToString());
        ServerLog.ListeningTcp(log, endpoints.Tcp.Url);
        ServerLog.DataDirectory(log, Path.GetFullPath(settings.DataDirectory), database.Description, database.SchemaVersion);
        ServerLog.Fingerprint(log, keys.FingerprintHex, keys.Generated ? " (generated now)" : "");
        if (settings.LabClock)
        {
            ServerLog.LabClockOn(log);
        }

        if (settings.AcceptLegacyRsa)
        {
            ServerLog.LegacyRsaOn(log);
        }

        foreach (string fault in settings.Faults)
        {
            ServerLog.FaultOn(log, fault, FaultCatalog.Parse(fault).Profile.Weakness);
        }

        if (FaultProfile.Combine(settings.Faults).LengthTimingLeakNanoseconds is > 0 and long leak)
        {
            ServerLog.TimingLeakOn(log, leak, CalibratedDelay.OverheadNanoseconds, CalibratedDelay.IterationsPerNanosecond);
        }
    }
}
