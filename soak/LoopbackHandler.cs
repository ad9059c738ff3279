using System.Net;
using System.Net.Sockets;

namespace Testbed.Soak;

/// <summary>
/// An HTTP handler whose connections come from a chosen loopback address: its connect callback binds the socket
/// before connecting (HttpClient and ClientWebSocket have no other way to choose the source address).
/// </summary>
internal static class LoopbackHandler
{
    public static SocketsHttpHandler From(IPAddress from) => new()
    {
        MaxConnectionsPerServer = 16,
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
