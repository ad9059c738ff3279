using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Testbed.Conformance.Lab;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The lab against a long-lived server (issue 18): the server is started once and the lab is pointed at it with
/// <c>--target</c>, as at any outside server, so nothing is restarted between runs and what one run leaves behind —
/// auth keys, sessions, msg_id windows, salts, a lab clock moved forward, used rate limits — meets the next. Every run
/// must still find the fault on the faulty server, the clean server must get the same verdict in every run, and a
/// limit an earlier run used up must make the verdict inconclusive, never "not vulnerable". The servers have the lab
/// clock, as the reference server the lab starts does, so the cases that move it run too.
/// </summary>
public sealed partial class LabLiveServerTests
{
    public static TheoryData<string> Experiments => LabTests.Experiments;

    [Theory]
    [MemberData(nameof(Experiments))]
    public async Task On_one_live_server_with_the_fault_every_run_of_the_experiment_finds_it(string name)
    {
        string fault = LabCatalog.Find(name)!.Fault;
        await using RunningServer server = await RunningServer.StartAsync("--fault", fault, "--Testbed:LabClock=true");
        foreach (int run in new[] { 1, 2 })
        {
            LabRun lab = RunLab(server.TcpPort, server.HttpBase, name);
            Assert.True(lab.Verdicts.GetValueOrDefault(name) == "VULNERABLE", $"--fault {fault}, run {run}: {lab.Output}");
        }
    }

    [Fact]
    public async Task On_one_live_clean_server_every_experiment_gets_the_same_verdict_in_every_run()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:LabClock=true");
        LabRun first = RunLab(server.TcpPort, server.HttpBase, "all");
        LabRun second = RunLab(server.TcpPort, server.HttpBase, "all");
        foreach (LabExperiment experiment in LabCatalog.SingleServer)
        {
            Assert.True(first.Verdicts.GetValueOrDefault(experiment.Name) == "not vulnerable", $"{experiment.Name}, run 1: {first.Output}");
            Assert.True(second.Verdicts.GetValueOrDefault(experiment.Name) == first.Verdicts[experiment.Name], $"{experiment.Name}, run 2: {second.Output}");
        }

        Assert.Contains("note: This run moved the server's lab clock 1320 s forward, and it stays there", second.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// One handshake a minute: run 1's own key uses it up, so Bob's key in run 1 and the lab's key in run 2 are refused
    /// with -429. Neither is evidence about reordering, and neither may end the run as a connection error would.
    /// </summary>
    [Fact]
    public async Task A_handshake_limit_used_up_makes_every_run_inconclusive_and_says_why()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=3");
        foreach (int run in new[] { 1, 2 })
        {
            LabRun lab = RunLab(server.TcpPort, server.HttpBase, "reordering");
            Assert.True(lab.Exit == 3 && lab.Verdicts.GetValueOrDefault("reordering") == "inconclusive", $"run {run}: {lab.Output}");
            Assert.Contains("note: The server's rate limit stopped the experiment", lab.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A server whose limit an earlier run used up answers the timing samples with -429: both classes then get the same
    /// answer, which once read as "indistinguishable", a false "not vulnerable".
    /// </summary>
    [Fact]
    public async Task Timing_samples_refused_by_a_rate_limit_make_the_verdict_inconclusive()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using RateLimitingFront front = RateLimitingFront.Start(server.TcpPort);
        LabRun lab = RunLab(front.Port, server.HttpBase, "timing-oracle");
        Assert.True(lab.Exit == 3 && lab.Verdicts.GetValueOrDefault("timing-oracle") == "inconclusive", lab.Output);
        Assert.Contains("note: The server's rate limit stopped the experiment", lab.Output, StringComparison.Ordinal);
    }

    /// <summary>What one invocation of the tool printed: the exit code, each experiment's verdict, and the whole output.</summary>
    private sealed record LabRun(int Exit, IReadOnlyDictionary<string, string> Verdicts, string Output);

    /// <summary><c>lab run EXPERIMENT --target tcp://127.0.0.1:PORT --server-info …</c> with the small budget, as one invocation of the tool.</summary>
    private static LabRun RunLab(int tcpPort, Uri http, string experiment)
    {
        string directory = Directory.CreateTempSubdirectory("lab-live-").FullName;
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            int exit = Program.Run(["lab", "run", experiment, "--target", $"tcp://127.0.0.1:{tcpPort}",
                "--server-info", new Uri(http, "/server-info").ToString(), "--budget", "small", "--out", directory], output, error);
            return new LabRun(exit, VerdictLine().Matches(output.ToString()).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["verdict"].Value),
                $"exit {exit}; {output}{error}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"^(?<name>\S+) against tcp://\S+: (?<verdict>VULNERABLE|not vulnerable|inconclusive) \(", RegexOptions.Multiline)]
    private static partial Regex VerdictLine();

    /// <summary>
    /// In front of a server whose limit is used up: the first connection (the lab's handshake) is relayed to the server,
    /// every later one is answered with transport error -429 (intermediate framing) once the client has sent something.
    /// </summary>
    private sealed class RateLimitingFront : IAsyncDisposable
    {
        private static readonly byte[] RateLimited = [4, 0, 0, 0, 0x53, 0xfe, 0xff, 0xff]; // length 4, then -429 little-endian

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private Task _accepting = Task.CompletedTask;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static RateLimitingFront Start(int serverPort)
        {
            var front = new RateLimitingFront();
            front._listener.Start();
            front._accepting = front.AcceptAsync(serverPort);
            return front;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            await Task.WhenAll(_connections);
            _stop.Dispose();
        }

        private async Task AcceptAsync(int serverPort)
        {
            try
            {
                while (true)
                {
                    TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _connections.Add(_connections.Count == 0 ? RelayAsync(client, serverPort) : RefuseAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        }

        private async Task RelayAsync(TcpClient client, int serverPort)
        {
            using (client)
            using (var server = new TcpClient())
            {
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, serverPort, _stop.Token);
                    await Task.WhenAny(client.GetStream().CopyToAsync(server.GetStream(), _stop.Token), server.GetStream().CopyToAsync(client.GetStream(), _stop.Token));
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // Either side went away.
                }
            }
        }

        private async Task RefuseAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    await client.GetStream().ReadExactlyAsync(new byte[4], _stop.Token); // the framing marker
                    await client.GetStream().WriteAsync(RateLimited, _stop.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // The client went away first.
                }
            }
        }
    }
}
