using Testbed.Protocol.Client;
using Testbed.Protocol.Transport;

namespace Testbed.Shims.CSharp;

/// <summary>
/// The transport/framing pairs this shim can use (docs/client-shims.md, <c>--transport</c> and <c>--framing</c>),
/// the preferred first, and how each connects with <see cref="TcpPacketTransport"/> or
/// <see cref="WebSocketPacketTransport"/> (obfuscated ones name the DC in their init header, docs/protocol.md §6.1).
/// </summary>
internal static class ShimTransports
{
    private static readonly Dictionary<string, (TransportFraming Framing, bool Obfuscated)> Framings = new()
    {
        ["intermediate"] = (TransportFraming.Intermediate, false),
        ["abridged"] = (TransportFraming.Abridged, false),
        ["padded"] = (TransportFraming.PaddedIntermediate, false),
        ["full"] = (TransportFraming.Full, false),
        ["obfuscated-abridged"] = (TransportFraming.Abridged, true),
        ["obfuscated-intermediate"] = (TransportFraming.Intermediate, true),
        ["obfuscated-padded"] = (TransportFraming.PaddedIntermediate, true),
    };

    /// <summary>Every pair, as <c>transport/framing</c>: TCP with each framing, then WebSocket with each (it carries any).</summary>
    public static IReadOnlyList<string> All { get; } = [.. Framings.Keys.Select(f => $"tcp/{f}"), .. Framings.Keys.Select(f => $"ws/{f}")];

    /// <summary>Whether the shim can use this pair.</summary>
    public static bool IsSupported(string transport, string framing) => All.Contains($"{transport}/{framing}");

    /// <summary>Opens a new connection to the server the arguments name.</summary>
    public static async Task<IPacketTransport> ConnectAsync(ShimArguments args, CancellationToken cancel)
    {
        (TransportFraming framing, bool obfuscated) = Framings[args.Framing];
        TransportObfuscation? obfuscation = obfuscated ? new TransportObfuscation((short)args.DataCenter) : null;
        return args.Transport == "ws"
            ? await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://{args.Host}:{args.Port}/apiws"), framing, obfuscation: obfuscation,
                cancel: cancel).ConfigureAwait(false)
            : await TcpPacketTransport.ConnectAsync(args.Host, args.Port, framing, obfuscation: obfuscation, cancel: cancel).ConfigureAwait(false);
    }
}
