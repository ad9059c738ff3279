using System.Net;
using System.Net.Sockets;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;

namespace Testbed.Server.Tests;

/// <summary>The server process as a user starts it: what it prints, and how it refuses to start.</summary>
public sealed class ServerStartupTests
{
    public static TheoryData<string, string> Endpoints() => new()
    {
        { "HttpEndpoint", "HTTP/WebSocket" },
        { "TcpEndpoint", "MTProto TCP" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_busy_port_is_one_line_naming_the_endpoint_and_the_setting(string setting, string role)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int busy = ((IPEndPoint)holder.LocalEndpoint).Port;
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-startup-").FullName;
        try
        {
            (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync($"--Testbed:DataDirectory={dataDirectory}",
                "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=127.0.0.1:0", $"--Testbed:{setting}=127.0.0.1:{busy}");
            AssertOneLineRefusal(output, exitCode, 1,
                $"error: cannot listen for {role} on 127.0.0.1:{busy}: address already in use. Choose another address with --Testbed:{setting}=IP:PORT.");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task An_address_not_of_this_host_is_one_line_naming_the_endpoint()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737), assigned to no host.
        string dataDirectory = Directory.CreateTempSubdirectory("testbed-startup-").FullName;
        try
        {
            (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync($"--Testbed:DataDirectory={dataDirectory}",
                "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=192.0.2.1:5001");
            AssertOneLineRefusal(output, exitCode, 1,
                "error: cannot listen for MTProto TCP on 192.0.2.1:5001: cannot assign requested address. Choose another address with --Testbed:TcpEndpoint=IP:PORT.");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task An_endpoint_that_is_not_an_address_and_port_is_one_line_and_exit_2()
    {
        (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync("--Testbed:TcpEndpoint=localhost:5001");
        AssertOneLineRefusal(output, exitCode, 2,
            "error: --Testbed:TcpEndpoint='localhost:5001' is not an IP address and port such as 127.0.0.1:5001 or [::1]:5001 (MTProto TCP).");
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_used_is_one_line_naming_it()
    {
        string file = Path.GetTempFileName(); // a file where the directory should be: refused even for root
        try
        {
            (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync($"--Testbed:DataDirectory={file}",
                "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=127.0.0.1:0");
            AssertOneLineRefusal(output, exitCode, 1, null);
            Assert.StartsWith($"error: cannot use the data directory {file}: ", output[0], StringComparison.Ordinal);
            Assert.EndsWith("Fix it, or choose another with --Testbed:DataDirectory=PATH.", output[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private const string PostgresExample = "such as Host=127.0.0.1;Port=5432;Username=testbed;Database=testbed";

    public static TheoryData<string[], string> StorageSettingsThatCannotWork() => new()
    {
        { ["--Testbed:Storage=mysql"], "error: --Testbed:Storage='mysql' is not a storage backend: use sqlite (the default) or postgres." },
        { ["--Testbed:Storage=postgres"],
            $"error: --Testbed:Storage=postgres needs --Testbed:PostgresConnection, an Npgsql connection string {PostgresExample}." },
        { ["--Testbed:Storage=postgres", "--Testbed:PostgresConnection=Port=5432;Password=secret"],
            $"error: --Testbed:PostgresConnection names no Host: it must be an Npgsql connection string {PostgresExample}." },
        { ["--Testbed:Storage=postgres", "--Testbed:PostgresConnection=Hots=x;Password=secret"],
            $"error: --Testbed:PostgresConnection is not an Npgsql connection string (Couldn't set hots (Parameter 'hots')): it must be one {PostgresExample}." },
    };

    [Theory]
    [MemberData(nameof(StorageSettingsThatCannotWork))]
    public async Task A_storage_setting_that_cannot_work_is_one_line_and_exit_2(string[] settings, string line)
    {
        (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync(settings);
        AssertOneLineRefusal(output, exitCode, 2, line);
    }

    [Fact]
    public async Task A_postgres_that_cannot_be_reached_is_one_line_naming_it_without_the_password()
    {
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port; // free, and nothing listens on it once the probe stops
        }

        string dataDirectory = Directory.CreateTempSubdirectory("testbed-startup-").FullName;
        try
        {
            (int exitCode, string[] output) = await ServerProcess.RunUntilExitAsync($"--Testbed:DataDirectory={dataDirectory}",
                "--Testbed:HttpEndpoint=127.0.0.1:0", "--Testbed:TcpEndpoint=127.0.0.1:0", "--Testbed:Storage=postgres",
                $"--Testbed:PostgresConnection=Host=127.0.0.1;Port={closed};Username=testbed;Password=secret;Database=testbed");
            AssertOneLineRefusal(output, exitCode, 1,
                $"error: cannot use the PostgreSQL database testbed on 127.0.0.1:{closed}: Failed to connect to 127.0.0.1:{closed}: Connection refused. "
                + "Check that it runs and takes this login, or fix --Testbed:PostgresConnection.");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Normal_use_prints_the_start_up_lines_and_no_per_request_framework_lines()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        using (var http = new HttpClient())
        {
            RsaPublicKey key = RsaPublicKey.FromPem(await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/server-key.pem")));
            await using MtProtoClient client = await MtProtoClient.ConnectAsync(
                new HttpPacketTransport(new Uri($"http://127.0.0.1:{server.HttpPort}/api")), key);
            await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 1L)));
            await Clients.RegisterAsync(client, "logged");
            await Clients.WithinPatience(client.InvokeAsync(Clients.Call("chat.getUsers")));
        }

        Assert.Equal(0, await server.StopAsync());
        IReadOnlyList<string> output = server.Output;
        Assert.Contains(output, l => l.Contains($"HTTP/WebSocket on http://127.0.0.1:{server.HttpPort}:", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains($"MTProto TCP on tcp://127.0.0.1:{server.TcpPort} ", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("RSA key fingerprint: ", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains($"http://127.0.0.1:{server.TcpPort}", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains(": Microsoft.", StringComparison.Ordinal)); // "info: Microsoft.AspNetCore.Hosting.Diagnostics[1]"
        Assert.DoesNotContain(output, l => l.Contains("Request starting", StringComparison.Ordinal) || l.Contains("Now listening on", StringComparison.Ordinal));
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task A_flood_of_bad_packets_prints_a_few_lines_and_then_one_fold()
    {
        const int Packets = 100;
        await using ServerProcess server = await ServerProcess.StartAsync();
        using (var http = new HttpClient())
        {
            byte[] unknownKey = [.. BitConverter.GetBytes(0x1122334455667788L), .. new byte[64]];
            for (int i = 0; i < Packets; i++)
            {
                using var content = new ByteArrayContent(unknownKey);
                (await http.PostAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/api"), content)).Dispose();
            }
        }

        Assert.Equal(0, await server.StopAsync()); // the open window's fold is written on the way out
        IReadOnlyList<string> output = server.Output;
        int full = output.Count(l => l.Contains("Encrypted message for auth key 1122334455667788: unknown_auth_key", StringComparison.Ordinal));
        int[] folded = output.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"unknown_auth_key x(\d+) more from 127\.0\.0\.1"))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.NotEmpty(folded); // 100 packets would need a minute to spread over windows that write them all in full
        Assert.Equal(Packets, full + folded.Sum());
    }

    private static void AssertOneLineRefusal(string[] output, int exitCode, int expectedExitCode, string? expectedLine)
    {
        Assert.True(output.Length == 1, $"expected one line, the server printed {output.Length}:\n{string.Join('\n', output)}");
        if (expectedLine is not null)
        {
            Assert.Equal(expectedLine, output[0]);
        }

        Assert.Equal(expectedExitCode, exitCode);
        AssertNoStackTrace(output);
    }

    private static void AssertNoStackTrace(IEnumerable<string> output) =>
        Assert.DoesNotContain(output, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
}
