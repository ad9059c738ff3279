using System.Net.Sockets;
using System.Text;

namespace Testbed.Server.Tests;

/// <summary>
/// Kestrel refuses a body slower than its minimum data rate (408) and a chunked body past the size limit (413) by
/// throwing from the read; the server answers with that status and logs nothing of it (issue 13 saw each logged as an
/// unhandled exception with a 1.7 KB stack trace). The real process, so that what it prints is checked.
/// </summary>
public sealed class HttpBodyRefusalTests
{
    [Fact]
    public async Task AChunkedBodyPastTheLimitGets413AndNoStackTrace()
    {
        await using ServerProcess server = await ServerProcess.StartAsync("--Testbed:MaxPacketLength=65536");
        byte[] chunk = new byte[16 * 1024];
        var request = new StringBuilder("POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 8; i++)
        {
            request.Append($"{chunk.Length:x}\r\n").Append(new string('A', chunk.Length)).Append("\r\n");
        }

        string status = await StatusLineAsync(server.HttpPort, Encoding.ASCII.GetBytes(request.Append("0\r\n\r\n").ToString()), stallAfter: false);
        Assert.StartsWith("HTTP/1.1 413", status, StringComparison.Ordinal);
        await AssertNothingUnhandledAsync(server);
    }

    [Fact]
    public async Task ABodySlowerThanTheMinimumRateGets408AndNoStackTrace()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        byte[] start = Encoding.ASCII.GetBytes("POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n0123456789");
        string status = await StatusLineAsync(server.HttpPort, start, stallAfter: true);
        Assert.StartsWith("HTTP/1.1 408", status, StringComparison.Ordinal);
        await AssertNothingUnhandledAsync(server);
    }

    /// <summary>Sends <paramref name="bytes"/> (then sends nothing more) and returns the first line of the answer.</summary>
    private static async Task<string> StatusLineAsync(int port, byte[] bytes, bool stallAfter)
    {
        using Socket socket = await ConnectionLimitTests.ConnectAsync(port, "127.0.0.1");
        await socket.SendAsync(bytes);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(stallAfter ? 60 : 20)); // Kestrel's grace period is 5 s
        byte[] answer = new byte[256];
        int got = await socket.ReceiveAsync(answer, patience.Token);
        return Encoding.ASCII.GetString(answer, 0, got).Split("\r\n")[0];
    }

    private static async Task AssertNothingUnhandledAsync(ServerProcess server)
    {
        await Task.Delay(500); // what the refusal logs is printed after the answer is sent
        Assert.DoesNotContain(server.Output, line => line.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(server.Output, line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
