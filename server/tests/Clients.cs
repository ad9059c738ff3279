using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>Library clients (protocol/Client) connected to a running server over a named transport.</summary>
internal static partial class Clients
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>The obfuscation the obfuscated transports use: DC 2, a real client's default, which the server does not check.</summary>
    private static readonly TransportObfuscation Obfuscation = new(2);

    public static async Task<IPacketTransport> TransportAsync(RunningServer server, string transport) => transport switch
    {
        "tcp" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate),
        "tcp-abridged" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Abridged),
        "tcp-padded" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.PaddedIntermediate),
        "tcp-full" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Full),
        "tcp-obfuscated-abridged" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Abridged, obfuscation: Obfuscation),
        "tcp-obfuscated" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate, obfuscation: Obfuscation),
        "tcp-obfuscated-padded" => await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.PaddedIntermediate,
            obfuscation: Obfuscation),
        "websocket" => await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{server.HttpPort}/apiws")),
        "websocket-obfuscated" => await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{server.HttpPort}/apiws"),
            TransportFraming.PaddedIntermediate, obfuscation: Obfuscation),
        "http" => new HttpPacketTransport(new Uri(server.HttpBase, "/api")),
        _ => throw new ArgumentException($"no transport '{transport}'", nameof(transport)),
    };

    public static async Task<MtProtoClient> ConnectAsync(RunningServer server, string transport = "tcp",
        Action<byte[], bool>? observer = null) =>
        await MtProtoClient.ConnectAsync(await TransportAsync(server, transport), server.PublicKey, packetObserver: observer);

    public static TlObject Call(string name, params object?[] values) => new(TlSchema.Testbed[name], values);

    public static byte[] Text(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public static string Text(TlObject value, string field) => System.Text.Encoding.UTF8.GetString(value.Get<byte[]>(field));

    /// <summary>Registers a display name and returns the user id.</summary>
    public static async Task<long> RegisterAsync(MtProtoClient client, string name) =>
        (await client.InvokeAsync(Call("chat.register", Text(name)))).Get<long>("id");

    /// <summary>The next update of the given constructor (20 s at most).</summary>
    public static async Task<TlObject> NextUpdateAsync(MtProtoClient client, string name)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            TlObject update = await client.Updates.ReadAsync(timeout.Token);
            if (update.Combinator.Name == name)
            {
                return update;
            }
        }
    }

    public static async Task<TlObject> WithinPatience(Task<TlObject> call) => await call.WaitAsync(Patience);

    /// <summary>
    /// Calls <paramref name="function"/> again until its result satisfies <paramref name="expected"/>: for state the
    /// server changes after it has answered (an acknowledgement marking a message delivered), so a test waits for the
    /// state itself, not for a time it is usually reached in. Fails after <see cref="Patience"/> with the last result.
    /// </summary>
    public static async Task<TlObject> UntilAsync(MtProtoClient client, TlObject function, Func<TlObject, bool> expected)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            TlObject result = await client.InvokeAsync(function, timeout.Token);
            if (expected(result))
            {
                return result;
            }

            Assert.False(timeout.IsCancellationRequested, $"{function.Combinator.Name} still answers {result} after {Patience.TotalSeconds} s");
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
