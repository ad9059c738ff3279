using System.Net;
using System.Net.Sockets;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>
/// What a user meets when a target or an input is wrong: one line that names what was tried and what to check, exit
/// 2, never a stack trace.
/// </summary>
public sealed class CommandErrorTests
{
    private static (int Exit, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, error.ToString());
    }

    private static void AssertOneLine((int Exit, string Error) result, params string[] mentions)
    {
        Assert.True(result.Exit == 2, $"exit {result.Exit}: {result.Error}");
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"one error line expected: {result.Error}");
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        foreach (string mention in mentions)
        {
            Assert.Contains(mention, result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tcp_pointed_at_the_http_port_says_it_is_not_mtproto_over_tcp()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        string target = $"tcp://127.0.0.1:{server.HttpPort}";
        AssertOneLine(Run("run", "--target", target, "--server-info", $"{server.HttpBase}server-info"), target, "is this an HTTP port?");
    }

    [Fact]
    public async Task A_wrong_websocket_path_names_the_path_to_check()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        string target = $"ws://127.0.0.1:{server.HttpPort}/wrong";
        AssertOneLine(Run("run", "--target", target, "--server-info", $"{server.HttpBase}server-info"), target, "/apiws");
    }

    [Fact]
    public async Task A_wrong_http_path_is_not_mistaken_for_an_mtproto_transport_error()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        string target = $"http://127.0.0.1:{server.HttpPort}/wrong";
        (int Exit, string Error) result = Run("run", "--target", target, "--server-info", $"{server.HttpBase}server-info");
        AssertOneLine(result, target, "POST /api");
        Assert.DoesNotContain("-404", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_garbage_pem_names_the_file_and_the_expected_format()
    {
        string pem = Path.GetTempFileName();
        File.WriteAllText(pem, "this is not a key\n");
        try
        {
            (int Exit, string Error) result = Run("run", "--target", "tcp://127.0.0.1:1", "--rsa-key", pem);
            AssertOneLine(result, pem, "BEGIN PUBLIC KEY");
            Assert.DoesNotContain("Parameter", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public void A_missing_key_file_names_the_file() =>
        AssertOneLine(Run("run", "--target", "tcp://127.0.0.1:1", "--rsa-key", "/nonexistent/key.pem"), "/nonexistent/key.pem");

    [Fact]
    public void An_endless_key_file_is_read_only_up_to_the_bound() =>
        AssertOneLine(Run("run", "--target", "tcp://127.0.0.1:1", "--rsa-key", "/dev/zero"), "--rsa-key /dev/zero", "longer than 64 KiB");

    [Fact]
    public void An_endless_expectations_file_is_read_only_up_to_the_bound() =>
        AssertOneLine(Run("run", "--target", "tcp://127.0.0.1:1", "--rsa-key", KeyFile(), "--expect", "/dev/zero"), "--expect /dev/zero", "longer than 64 KiB");

    [Fact]
    public async Task An_endless_server_info_answer_is_read_only_up_to_the_bound()
    {
        // A web server that answers 200 with a JSON array of 64 MB, or until the client hangs up.
        const long Offered = 64L << 20;
        using var endless = new TcpListener(IPAddress.Loopback, 0);
        endless.Start();
        string url = $"http://127.0.0.1:{((IPEndPoint)endless.LocalEndpoint).Port}/server-info";
        Task<long> serving = Task.Run(async () =>
        {
            using TcpClient client = await endless.AcceptTcpClientAsync();
            using NetworkStream stream = client.GetStream();
            byte[] chunk = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1,", 2048)));
            long written = 0;
            try
            {
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n["u8.ToArray());
                for (; written < Offered; written += chunk.Length)
                {
                    await stream.WriteAsync(chunk);
                }
            }
            catch (IOException)
            {
                // the client stopped at the bound and hung up
            }

            return written;
        });
        (int Exit, string Error) result = await Task.Run(() => Run("run", "--target", "tcp://127.0.0.1:1", "--server-info", url));
        AssertOneLine(result, url);
        long taken = await serving;
        // What the client read is the bound; the rest of what was written sat in the loopback socket buffers.
        Assert.True(taken < Offered / 2, $"the client took {taken} bytes of an endless answer");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("http")]
    [InlineData("ws")]
    public void A_refused_connection_names_the_address(string scheme)
    {
        int port = ClosedPort();
        string target = scheme == "tcp" ? $"tcp://127.0.0.1:{port}" : $"{scheme}://127.0.0.1:{port}/{(scheme == "ws" ? "apiws" : "api")}";
        AssertOneLine(Run("run", "--target", target, "--rsa-key", KeyFile()), target, "connection refused");
    }

    [Fact]
    public void A_server_info_url_that_refuses_names_the_url()
    {
        string url = $"http://127.0.0.1:{ClosedPort()}/server-info";
        AssertOneLine(Run("run", "--target", "tcp://127.0.0.1:1", "--server-info", url), url, "connection refused");
    }

    [Fact]
    public async Task A_target_that_accepts_and_never_answers_times_out_with_a_line()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        Task<TcpClient> accepted = silent.AcceptTcpClientAsync();
        string target = $"tcp://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        (int Exit, string Error) result = await Task.Run(() => Run("run", "--target", target, "--rsa-key", KeyFile()));
        AssertOneLine(result, target, "no answer to the handshake");
        (await accepted).Dispose();
    }

    [Fact]
    public void An_unexpected_exception_is_one_line_and_exit_2_not_a_verdict()
    {
        var failing = new System.CommandLine.Command("fail");
        failing.SetAction(int (_) => throw new InvalidOperationException("planted\nacross two lines"));
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(new System.CommandLine.RootCommand { failing }, ["fail"], output, error);
        AssertOneLine((exit, error.ToString()), "InvalidOperationException: planted across two lines");
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string KeyFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "conformance-test-key.pem");
        if (!File.Exists(path))
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            File.WriteAllText(path, rsa.ExportRSAPublicKeyPem());
        }

        return path;
    }
}
