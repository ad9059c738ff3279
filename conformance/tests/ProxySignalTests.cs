using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Testbed.Protocol.Client;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// <c>lab proxy</c> as a process: SIGINT and SIGTERM stop it promptly, with its capture flushed and its summary
/// printed, even while an HTTP long poll is held open through it.
/// </summary>
public sealed class ProxySignalTests
{
    private const int SigInt = 2, SigTerm = 15;

    /// <summary>Generous: the proxy stops within about a second; this only catches a proxy that ignores the signal (it took 40 s).</summary>
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(15);

    /// <summary>Sends a real signal with kill(1): the way a shell, systemd or a CI runner stops the proxy.</summary>
    private static async Task<int> KillAsync(int pid, int signal)
    {
        using Process kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        return kill.ExitCode;
    }

    [Theory]
    [InlineData("tcp", SigTerm)]
    [InlineData("tcp", SigInt)]
    [InlineData("http", SigTerm)]
    [InlineData("http", SigInt)]
    public async Task A_signal_stops_the_proxy_and_it_flushes_the_capture_and_reports(string upstreamKind, int signal)
    {
        await using RunningServer server = await RunningServer.StartAsync();
        int port = FreePort();
        string capture = Path.Combine(Directory.CreateTempSubdirectory("proxy-signal-").FullName, "capture.jsonl");
        string upstream = upstreamKind == "tcp" ? $"127.0.0.1:{server.TcpPort}" : server.HttpBase.ToString().TrimEnd('/');
        using Process proxy = StartTool("lab", "proxy", "--listen", $"127.0.0.1:{port}", "--upstream", upstream, "--capture", capture);
        Task<string> stdout = proxy.StandardOutput.ReadToEndAsync();
        Task<string> stderr = proxy.StandardError.ReadToEndAsync();
        await WaitUntilListeningAsync(port, proxy);

        // A whole handshake through the proxy; over HTTP the client then keeps a long poll (http_wait, 25 s) open through it.
        IPacketTransport transport = upstreamKind == "tcp"
            ? await TcpPacketTransport.ConnectAsync("127.0.0.1", port, TransportFraming.Intermediate)
            : new HttpPacketTransport(new Uri($"http://127.0.0.1:{port}/api"));
        using var traffic = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using MtProtoClient client = await MtProtoClient.ConnectAsync(transport, server.PublicKey, cancel: traffic.Token);
        await client.InvokeAsync(new Testbed.Protocol.Tl.TlObject(Testbed.Protocol.Tl.TlSchema.Testbed["chat.register"], "alice"u8.ToArray()), traffic.Token);

        Assert.Equal(0, await KillAsync(proxy.Id, signal));
        using var patience = new CancellationTokenSource(StopPatience);
        try
        {
            await proxy.WaitForExitAsync(patience.Token);
        }
        finally
        {
            if (!proxy.HasExited)
            {
                proxy.Kill(entireProcessTree: true); // a proxy that ignored the signal is not left behind
            }
        }

        string output = await stdout, error = await stderr;
        Assert.True(proxy.ExitCode == 0, $"exit {proxy.ExitCode}: {output}{error}");
        Assert.Matches(@"\b[1-9][0-9]* packets recorded in ", output);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        string[] records = await File.ReadAllLinesAsync(capture);
        Assert.True(records.Count(r => r.Contains("\"forwarded\"", StringComparison.Ordinal)) >= 6, $"capture: {records.Length} lines");
        Directory.Delete(Path.GetDirectoryName(capture)!, recursive: true);
    }

    /// <summary>The conformance tool as a child process (the same build the tests reference).</summary>
    private static Process StartTool(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("the conformance tool did not start");
    }

    private static async Task WaitUntilListeningAsync(int port, Process proxy)
    {
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(100))
        {
            Assert.False(proxy.HasExited, "the proxy exited before listening");
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                // not yet
            }
        }

        throw new TimeoutException($"the proxy did not listen on {port}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
