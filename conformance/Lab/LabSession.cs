using System.Net;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;
using Testbed.Conformance.Timing;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab;

/// <summary>How many samples and steps an experiment spends: small for CI, full for a report worth reading.</summary>
internal enum LabBudget
{
    /// <summary>Enough to tell the clean server from its fault profile (seconds per experiment).</summary>
    Small,

    /// <summary>The figures for a report: more samples, more points.</summary>
    Full,
}

/// <summary>
/// Everything one experiment run works with: the target, the intercepting proxy in front of it (all the
/// experiment's client traffic goes through the proxy, which sees only ciphertext), the capture, and one auth key.
/// The experiment, unlike the network attacker it plays, may read its own client's key to judge the outcome.
/// </summary>
internal sealed class LabSession : IAsyncDisposable
{
    private LabSession(LabTarget target, TcpInterceptingProxy proxy, Target viaProxy, SharedKey key, LabBudget budget, TimingSettings timing)
    {
        Timing = timing;
        Server = target;
        Proxy = proxy;
        ViaProxy = viaProxy;
        Key = key;
        Budget = budget;
    }

    public LabTarget Server { get; }

    public TcpInterceptingProxy Proxy { get; }

    public Capture Capture => Proxy.Core.Capture;

    /// <summary>The server as the experiment's clients reach it: through the proxy, intermediate framing (obfuscated or not).</summary>
    public Target ViaProxy { get; }

    /// <summary>The server reached directly (the timing experiment measures without the proxy's own delay).</summary>
    public Target Direct => ViaProxy with { Address = new Uri($"tcp://{Server.Tcp.Host}:{Server.Tcp.Port}") };

    /// <summary>The experiment's auth key, made by one handshake through the proxy.</summary>
    public SharedKey Key { get; private set; }

    public LabBudget Budget { get; }

    /// <summary>How the timing experiment samples and judges.</summary>
    public TimingSettings Timing { get; }

    /// <summary>How far the experiment has moved the server's lab clock (reset by a restart).</summary>
    public TimeSpan ClockAdvance { get; private set; }

    /// <summary>Starts the proxy in front of <paramref name="target"/> and makes the key; the clients obfuscate their connections when asked.</summary>
    public static async Task<LabSession> OpenAsync(LabTarget target, string? capturePath, LabBudget budget, CancellationToken cancel, bool obfuscated = false,
        TimingSettings? timing = null)
    {
        var capture = new Capture(capturePath, "127.0.0.1:0", $"{target.Tcp.Host}:{target.Tcp.Port}");
        var proxy = TcpInterceptingProxy.Start(new IPEndPoint(IPAddress.Loopback, 0), target.Tcp, new ProxyCore(capture, []));
        var viaProxy = new Target(new Uri($"tcp://127.0.0.1:{proxy.Endpoint.Port}"), TransportFraming.Intermediate, target.Key, 1)
        {
            Obfuscated = obfuscated,
        };
        try
        {
            SharedKey key = await SharedKey.CreateAsync(viaProxy, cancel);
            return new LabSession(target, proxy, viaProxy, key, budget, timing ?? new TimingSettings());
        }
        catch
        {
            // No session owns the proxy yet (a refused handshake, e.g. a rate limit an earlier run used up): close it here.
            await proxy.DisposeAsync();
            capture.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new session, warmed (its first message answered): on the experiment's key or on <paramref name="key"/> (a
    /// second user needs a key of its own: chat users are per key), through the proxy or <paramref name="direct"/>.
    /// </summary>
    public async Task<Probe> OpenProbeAsync(CancellationToken cancel, bool direct = false, SharedKey? key = null)
    {
        key ??= Key;
        Probe probe = await Probe.OpenOnKeyAsync(direct ? Direct : ViaProxy, key, cancel);
        probe.Session.MsgIds.ClockOffset = key.ClockOffset + ClockAdvance;
        return await probe.WarmAsync(cancel);
    }

    /// <summary>A second auth key, made directly (for a second user).</summary>
    public Task<SharedKey> NewKeyAsync(CancellationToken cancel) => SharedKey.CreateAsync(Direct, cancel);

    /// <summary>Moves the server's clock forward (the target must have the lab clock).</summary>
    public async Task AdvanceClockAsync(TimeSpan by, CancellationToken cancel)
    {
        await Server.AdvanceClockAsync(by, cancel);
        ClockAdvance += by;
    }

    /// <summary>Restarts the reference server; its lab clock starts again at the system time.</summary>
    public async Task RestartServerAsync()
    {
        await Server.RestartAsync();
        ClockAdvance = TimeSpan.Zero;
    }

    /// <summary>
    /// The newest proxied connection: the one the probe opened last goes through, once its first message was answered
    /// (experiments open one proxied probe at a time, and call this after <see cref="OpenProbeAsync"/>).
    /// </summary>
    public ProxiedConnection LastConnection() => Proxy.Core.Connections[Proxy.Core.Connections.Keys.Max()];

    /// <summary>The last packet a client sent through the proxy, as captured.</summary>
    public byte[] LastClientPacket() => Capture.Packets(PacketDirection.ClientToServer)[^1].Payload!;

    /// <summary>Every message a probe receives until <paramref name="quiet"/> passes without one.</summary>
    public static async Task<List<Reply>> CollectAsync(Probe probe, TimeSpan quiet, CancellationToken cancel)
    {
        var replies = new List<Reply>();
        while (await probe.NextAsync(quiet, cancel) is { TimedOut: false } reply)
        {
            replies.Add(reply);
            if (reply.Closed || reply.TransportError != 0)
            {
                break;
            }
        }

        return replies;
    }

    /// <summary>
    /// Calls a function and waits for its rpc_result, skipping what else the server sends meanwhile (updates pushed to
    /// the session, acknowledgements): the result object.
    /// </summary>
    public static async Task<TlObject> CallAsync(Probe probe, TlObject function, CancellationToken cancel) =>
        (await CallForAnswerAsync(probe, function, cancel)).Body.Get<TlObject>("result");

    /// <summary>As <see cref="CallAsync"/>, but the rpc_result message itself, with the msg_id the server gave it.</summary>
    public static async Task<ServerMessage> CallForAnswerAsync(Probe probe, TlObject function, CancellationToken cancel)
    {
        byte[] wire = probe.Seal(function, out EnvelopeHeader header);
        var seen = new List<Reply> { await probe.ExchangeAsync(wire, cancel) };
        for (int i = 0; i < 20; i++)
        {
            ServerMessage? answer = seen[^1].Messages
                .FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == header.MsgId);
            if (answer is not null)
            {
                return answer;
            }

            if (seen[^1].TimedOut || seen[^1].Closed)
            {
                break;
            }

            seen.Add(await probe.NextAsync(Probe.AnswerTimeout, cancel));
        }

        throw new LabException($"{function.Combinator.Name} got no rpc_result; the server sent {string.Join("; ", seen)}");
    }

    // What one injection listens for at most (InjectOnNewConnectionAsync).
    private const int InjectionRepliesAtMost = 64;
    private static readonly TimeSpan InjectionListensAtMost = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends <paramref name="packet"/> on a new connection of the attacker's own straight to <paramref name="node"/>
    /// (intermediate framing), and opens with <paramref name="probe"/>'s key whatever comes back until 1.5 s pass
    /// without a packet or the node closes the connection (at most 64 packets, 10 s).
    /// </summary>
    public async Task<List<Reply>> InjectOnNewConnectionAsync(DnsEndPoint node, Probe probe, byte[] packet, CancellationToken cancel)
    {
        Target target = Direct with { Address = new Uri($"tcp://{node.Host}:{node.Port}"), Obfuscated = false };
        await using Protocol.Client.IPacketTransport attacker = await target.ConnectAsync(cancel);
        await attacker.SendAsync(packet, cancel);
        var replies = new List<Reply>();

        // Bounded in count and time: a node that keeps talking (or a fault that loops) cannot hold the experiment.
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        listening.CancelAfter(InjectionListensAtMost);
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(listening.Token);
        try
        {
            while (replies.Count < InjectionRepliesAtMost)
            {
                quiet.CancelAfter(TimeSpan.FromMilliseconds(1500));
                if (await attacker.ReceiveAsync(quiet.Token) is not { } answer)
                {
                    break;
                }

                replies.Add(probe.Open(answer));
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // Quiet for long enough: everything the node had to say has arrived.
        }

        return replies;
    }

    /// <summary>Decrypts a captured packet with the key (the experimenter's view, never the proxy's): its header, or null.</summary>
    public EnvelopeHeader? OpenHeader(byte[] packet, PacketDirection direction)
    {
        using var key = AuthKey.FromBytes(Key.Key);
        byte[] plaintext = new byte[Math.Max(0, packet.Length - MessageEnvelope.WireHeaderSize)];
        MessageDirection way = direction == PacketDirection.ClientToServer ? MessageDirection.ClientToServer : MessageDirection.ServerToClient;
        return MessageEnvelope.TryDecrypt(key, way, packet, plaintext, out DecryptedEnvelope envelope) ? envelope.Header : null;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Capture.Dispose();
    }
}
