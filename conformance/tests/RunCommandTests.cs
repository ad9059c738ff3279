using System.Text.Json;
using System.Xml;
using System.Xml.Schema;
using Json.Schema;
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
