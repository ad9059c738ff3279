using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Harness;

/// <summary>
/// The server under test: where it listens (tcp://host:port with a framing, ws://host:port/path, http://host:port/path),
/// its RSA public key, and the data centre it serves.
/// </summary>
internal sealed record Target(Uri Address, TransportFraming Framing, RsaPublicKey ServerKey, int DataCenter)
{
    /// <summary>
    /// Whether TCP and WebSocket connections are obfuscated (--framing obfuscated-*: docs/protocol.md §6.1), the init
    /// header naming <see cref="Framing"/> and carrying <see cref="DataCenter"/>.
    /// </summary>
    public bool Obfuscated { get; init; }

    /// <summary>The obfuscation the client transports are asked for, or null for plain connections.</summary>
    public TransportObfuscation? Obfuscation => Obfuscated ? new TransportObfuscation((short)DataCenter) : null;

    /// <summary>How long the server keeps an unfinished handshake, when the user states it (--handshake-expiry); null skips the expiry case.</summary>
    public TimeSpan? HandshakeExpiry { get; init; }

    /// <summary>Whether cases that flood the server (and exhaust its per-address budgets for a while) may run (--include-floods).</summary>
    public bool IncludeFloods { get; init; }

    /// <summary>The run's shared key, when the caller already made it (the command does, to check the target first).</summary>
    public SharedKey? Key { get; init; }

    /// <summary>
    /// Why the caller's first handshake failed a client check, when it did: the run then has no key, the case that
    /// checks that answer fails, and the cases that need a key are not applicable.
    /// </summary>
    public HandshakeException? KeyFailure { get; init; }

    /// <summary>
    /// Every address of the target's cluster, when several were given (--target repeated; docs/cluster.md): each case
    /// runs against one of them in turn (<see cref="ForCase"/>), and MID-015 replays from one to another. Empty for one server.
    /// </summary>
    public IReadOnlyList<Uri> Cluster { get; init; } = [];

    /// <summary>The target case number <paramref name="index"/> of a run uses: the cluster's addresses in turn.</summary>
    public Target ForCase(int index) => Cluster.Count < 2 ? this : this with { Address = Cluster[index % Cluster.Count] };

    /// <summary>"tcp", "websocket" or "http".</summary>
    public string Transport => Address.Scheme switch
    {
        "tcp" => "tcp",
        "ws" or "wss" => "websocket",
        _ => "http",
    };

    /// <summary>Parses a --target value; null with a message when it is not usable.</summary>
    public static Uri? ParseAddress(string text, out string? problem)
    {
        problem = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("tcp" or "ws" or "wss" or "http" or "https"))
        {
            problem = $"'{text}' is not a target: use tcp://host:port, ws://host:port/apiws or http://host:port/api";
            return null;
        }

        if (uri.Scheme == "tcp" && uri.Port <= 0)
        {
            problem = $"'{text}' needs a port";
            return null;
        }

        return uri;
    }

    /// <summary>Opens a new connection to the target.</summary>
    public async Task<IPacketTransport> ConnectAsync(CancellationToken cancel = default) => Transport switch
    {
        "tcp" => await TcpPacketTransport.ConnectAsync(Address.Host, Address.Port, Framing, obfuscation: Obfuscation, cancel: cancel).ConfigureAwait(false),
        "websocket" => await WebSocketPacketTransport.ConnectAsync(Address, Framing, obfuscation: Obfuscation, cancel: cancel).ConfigureAwait(false),
        _ => new HttpPacketTransport(Address),
    };
}
