using System.Net;
using System.Text.RegularExpressions;

namespace Testbed.Server;

/// <summary>
/// One address the server listens on, with what it serves and the setting that names it: the start-up line says
/// <c>tcp://</c> for the MTProto TCP port (Kestrel's own "Now listening on" line would call it <c>http://</c>), and a
/// port that cannot be bound is reported with the setting to change.
/// </summary>
/// <param name="Setting">The setting's name in the <c>Testbed</c> section, such as <c>TcpEndpoint</c>.</param>
/// <param name="Role">What is served there, for people: "HTTP/WebSocket", "MTProto TCP".</param>
/// <param name="Scheme">The URL scheme a client uses: http, tcp.</param>
/// <param name="Address">The parsed address.</param>
internal sealed record ServerEndpoint(string Setting, string Role, string Scheme, IPEndPoint Address)
{
    /// <summary>Kestrel's listener for it, once configured: it holds the port actually bound (port 0 picks a free one).</summary>
    public Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? Listener { get; set; }

    /// <summary>The address listened on: the bound one once started, else the configured one.</summary>
    public IPEndPoint Bound => Listener?.IPEndPoint ?? Address;

    /// <summary>The address as a URL: tcp://127.0.0.1:5001.</summary>
    public string Url => $"{Scheme}://{Bound}";

    /// <summary>Parses "address:port" (an IP address, not a name: the server binds exactly what it is told; the port is
    /// required, as "::1" or "5001" alone would parse as an address with port 0).</summary>
    /// <exception cref="ServerStartupException">It does not parse.</exception>
    public static ServerEndpoint Parse(string setting, string role, string scheme, string text) =>
        IPEndPoint.TryParse(text, out IPEndPoint? address) && text.EndsWith($":{address.Port}", StringComparison.Ordinal)
            ? new ServerEndpoint(setting, role, scheme, address)
            : throw new ServerStartupException(
                $"--Testbed:{setting}='{text}' is not an IP address and port such as 127.0.0.1:5001 or [::1]:5001 ({role}).", isSetting: true);

    /// <summary>
    /// Whether Kestrel's bind failure names this endpoint. Kestrel reports the address it failed on as a URL in the
    /// message ("Failed to bind to address http://127.0.0.1:5001: address already in use."), its only mention of it.
    /// </summary>
    public bool IsNamedIn(IOException failure) =>
        Regex.IsMatch(failure.Message, "://" + Regex.Escape(Address.ToString()) + @"(?!\d)", RegexOptions.CultureInvariant);

    /// <summary>
    /// Whether the address itself cannot be bound here (not an address of this host): Kestrel lets that failure out
    /// as a bare <see cref="System.Net.Sockets.SocketException"/> that names no address, so each endpoint is tried.
    /// </summary>
    public bool AddressIsUnavailable()
    {
        using var probe = new System.Net.Sockets.Socket(Address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(Address.Address, 0));
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
    }

    /// <summary>The one line for an address that cannot be listened on, and what to change.</summary>
    public string ListenFailure(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        string cause = (failure.InnerException?.Message ?? failure.Message).TrimEnd('.').ToLowerInvariant();
        return $"cannot listen for {Role} on {Address}: {cause}. Choose another address with --Testbed:{Setting}=IP:PORT.";
    }
}

/// <summary>The server's two listening addresses, and the MTProto TCP address clients are told, if another (a balancer's).</summary>
internal sealed record ServerEndpoints(ServerEndpoint Http, ServerEndpoint Tcp, ServerEndpoint? PublicTcp = null)
{
    /// <summary>The MTProto TCP address to give clients: the public one, else the one bound.</summary>
    public IPEndPoint AdvertisedTcp => PublicTcp?.Address ?? Tcp.Bound;

    /// <summary>Both, in the order Kestrel binds them.</summary>
    public IReadOnlyList<ServerEndpoint> All => [Http, Tcp];
}
