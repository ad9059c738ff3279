using System.Text.Json;
using System.Xml;
using System.Xml.Schema;
using FsCheck;
using FsCheck.Xunit;
using Json.Schema;
using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>The run, list and explain commands end to end, and their reports against their schemas.</summary>
public sealed class RunCommandTests
{
    private static string RepositoryFile(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Testbed.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine([directory.FullName, .. parts]);
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_run_against_the_clean_server_exits_0_and_writes_reports_that_validate()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=200");
        string directory = Directory.CreateTempSubdirectory("conformance-report-").FullName;
        string json = Path.Combine(directory, "report.json"), junit = Path.Combine(directory, "report.xml"), markdown = Path.Combine(directory, "report.md");

        (int exit, string output, string error) = Run("run", "--target", $"ws://127.0.0.1:{server.HttpPort}/apiws",
            "--server-info", new Uri(server.HttpBase, "/server-info").ToString(), "--category", "envelope", "--category", "service",
            "--json", json, "--junit", junit, "--markdown", markdown);
        Assert.True(exit == 0, output + error);
        Assert.Contains("not as expected", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', error); // not a terminal: no progress line rewritten in place (a CI log would get one long line)

        var schema = JsonSchema.FromText(await File.ReadAllTextAsync(RepositoryFile("conformance", "schemas", "report.schema.json")));
        EvaluationResults results = schema.Evaluate(JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement,
            new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid, string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));

        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema };
        settings.Schemas.Add(null, RepositoryFile("conformance", "schemas", "junit.xsd"));
        using (XmlReader reader = XmlReader.Create(junit, settings))
        {
            while (reader.Read())
            {
                // validation errors throw
            }
        }

        Assert.Contains("| ENV-001 | MUST | pass", await File.ReadAllTextAsync(markdown), StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_fault_fails_the_run_with_1_unless_an_expectations_file_names_it_and_an_unexpected_pass_fails_too()
    {
        await using RunningServer server = await RunningServer.StartAsync("--fault", "no-time-window", "--Testbed:HandshakeMessagesPerMinute=200");
        string[] target = ["run", "--target", $"tcp://127.0.0.1:{server.TcpPort}", "--server-info", new Uri(server.HttpBase, "/server-info").ToString(),
            "--id", "MID-00?"];
        (int exit, string output, _) = Run(target);
        Assert.Equal(1, exit);
        Assert.Contains("FAIL            MID-001", output, StringComparison.Ordinal);

        string expectations = Path.GetTempFileName();
        await File.WriteAllTextAsync(expectations, "# known weakness of this build\nMID-001 no time window (fault profile)\nMID-002 no time window (fault profile)\n");
        Assert.Equal(0, Run([.. target, "--expect", expectations]).Exit);

        await File.WriteAllTextAsync(expectations, "MID-001 no time window\nMID-002 no time window\nMID-003 expected to fail but will pass\n");
        (exit, output, _) = Run([.. target, "--expect", expectations]);
        Assert.Equal(1, exit);
        Assert.Contains("UNEXPECTED PASS MID-003", output, StringComparison.Ordinal);
        File.Delete(expectations);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1", "needs a port")]
    [InlineData("ftp://example.org/x", "is not a target")]
    public void A_bad_target_is_a_usage_error_with_exit_2(string target, string message)
    {
        (int exit, _, string error) = Run("run", "--target", target, "--rsa-key", "/dev/null");
        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_target_is_exit_2_with_a_clear_message()
    {
        string key = Path.GetTempFileName();
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            File.WriteAllText(key, rsa.ExportRSAPublicKeyPem());
        }

        (int exit, _, string error) = Run("run", "--target", "tcp://127.0.0.1:1", "--rsa-key", key);
        Assert.Equal(2, exit);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
        File.Delete(key);
    }

    [Fact]
    public async Task The_flood_case_runs_only_with_include_floods()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        string[] run = ["run", "--target", $"tcp://127.0.0.1:{server.TcpPort}", "--server-info", $"{server.HttpBase}server-info"];
        (int exit, string output, string error) = Run([.. run, "--id", "ROB-004"]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("--include-floods", output, StringComparison.Ordinal);

        // Without the flood, the budget is intact: a second run straight away is judged in full.
        (exit, output, error) = Run([.. run, "--id", "HSK-00?"]);
        Assert.True(exit == 0, output + error);

        (exit, output, error) = Run([.. run, "--id", "ROB-004", "--include-floods"]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("1 pass", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cases_that_meet_the_rate_limit_are_not_judged_and_the_run_says_so_with_exit_2()
    {
        // 30 handshake messages a minute: about ten handshakes, far fewer than the handshake cases need.
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=30");
        (int exit, string output, string error) = Run("run", "--target", $"tcp://127.0.0.1:{server.TcpPort}", "--server-info",
            $"{server.HttpBase}server-info", "--category", "handshake", "--category", "robustness");
        Assert.True(exit == 2, output + error);
        Assert.DoesNotContain("FAIL ", output, StringComparison.Ordinal);
        Assert.Contains("rate-limited: the target answered transport error -429", output, StringComparison.Ordinal);
        Assert.Contains("met the target's rate limit (-429) and were not judged", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_dh_prime_fails_the_check_fails_HSK_008_and_the_rest_have_no_key()
    {
        await using RunningServer server = await RunningServer.StartAsync("--fault", "unsafe-dh-prime", "--Testbed:HandshakeMessagesPerMinute=200");
        (int exit, string output, string error) = Run("run", "--target", $"tcp://127.0.0.1:{server.TcpPort}", "--server-info",
            $"{server.HttpBase}server-info", "--id", "ENV-00?");
        Assert.True(exit == 1, output + error);
        Assert.Contains("FAIL            HSK-008", output, StringComparison.Ordinal);
        Assert.Contains("no auth key: the handshake failed HSK-008 (server_DH_inner_data: dh_prime refused: PrimeNotSafe)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL            ENV-", output, StringComparison.Ordinal);
        Assert.Equal("", error.Trim());
    }

    /// <summary>
    /// A live server keeps what earlier runs left: the key g_b = 1 makes exists after the first run, and the server
    /// then answers dh_gen_retry, which accepts g_b = 1 as surely as dh_gen_ok does. Every run must see the fault.
    /// </summary>
    [Fact]
    public async Task A_live_server_that_accepts_g_b_1_fails_HSK_009_on_every_run_not_only_the_first()
    {
        await using RunningServer server = await RunningServer.StartAsync("--fault", "g-b-range-unchecked", "--Testbed:HandshakeMessagesPerMinute=600");
        string[] run = ["run", "--target", $"tcp://127.0.0.1:{server.TcpPort}", "--server-info", $"{server.HttpBase}server-info", "--id", "HSK-009"];
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            (int exit, string output, string error) = Run(run);
            Assert.True(exit == 1, $"run {attempt}: exit {exit}: {output}{error}");
            Assert.Contains("FAIL            HSK-009", output, StringComparison.Ordinal);
        }
    }

    [Property]
    public bool Evidence_names_every_transport_error(NegativeInt code)
    {
        byte[] packet = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(packet, code.Get);
        return TransportErrors.DescribePacket(packet).StartsWith($"transport error {code.Get}", StringComparison.Ordinal);
    }

    /// <summary>--framing obfuscated-*: the run's key, the session categories and the transport cases, over obfuscated TCP and WebSocket.</summary>
    [Theory]
    [InlineData("tcp", "obfuscated-abridged")]
    [InlineData("tcp", "obfuscated-padded")]
    [InlineData("ws", "obfuscated-intermediate")]
    public async Task A_run_over_an_obfuscated_framing_passes_against_the_clean_server(string transport, string framing)
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=200");
        (int exit, string output, string error) = Run("run", "--target", InProcessTargets.AddressOf(server, transport).ToString(), "--framing", framing,
            "--server-info", new Uri(server.HttpBase, "/server-info").ToString(), "--category", "session", "--category", "transport");
        Assert.True(exit == 0, output + error);
    }

    [Fact]
    public void The_full_framing_has_no_obfuscated_form()
    {
        (int exit, _, string error) = Run("run", "--target", "tcp://127.0.0.1:1", "--framing", "obfuscated-full", "--rsa-key", "/dev/null");
        Assert.Equal(2, exit);
        Assert.Contains("obfuscated- before one of the first three", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_limit_answer_reads_as_429_not_as_hex() =>
        Assert.Equal("transport error -429 (too many requests: the target's rate limit)", TransportErrors.DescribePacket(Convert.FromHexString("53FEFFFF")));

    [Fact]
    public void Every_case_states_its_exact_pass_criterion_and_explain_prints_it()
    {
        string[] missing = [.. ConformanceCatalog.All.Where(c => c.Passes.Length < 20).Select(c => c.Id)];
        Assert.True(missing.Length == 0, $"cases without a pass criterion: {string.Join(", ", missing)}");
        (int exit, string output, _) = Run("explain", "HSK-009");
        Assert.Equal(0, exit);
        Assert.Contains("passes when: the answer to set_client_DH_params is dh_gen_fail or transport error -404", output, StringComparison.Ordinal);
    }

    [Fact]
    public void List_orders_ids_numerically_within_each_category()
    {
        (int exit, string output, _) = Run("list");
        Assert.Equal(0, exit);
        string[] ids = [.. output.Split('\n').Where(l => l.Length > 8 && l[3] == '-').Select(l => l[..7])];
        foreach (IGrouping<string, string> prefix in ids.GroupBy(id => id[..3]))
        {
            Assert.Equal(prefix.OrderBy(id => int.Parse(id[4..], System.Globalization.CultureInfo.InvariantCulture)), prefix);
        }

        Assert.Equal(ids.Distinct().Count(), ids.Length);
    }

    [Fact]
    public void List_filters_and_explain_describes_a_case()
    {
        (int exit, string output, _) = Run("list", "--category", "envelope", "--must-only");
        Assert.Equal(0, exit);
        Assert.Contains("ENV-013", output, StringComparison.Ordinal);
        Assert.DoesNotContain("HSK-", output, StringComparison.Ordinal);

        (exit, output, _) = Run("explain", "ENV-013");
        Assert.Equal(0, exit);
        Assert.Contains("docs/protocol.md", output, StringComparison.Ordinal);
        Assert.Equal(2, Run("explain", "XXX-999").Exit);
    }
}
