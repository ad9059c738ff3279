using Testbed.Server.Tests;
using System.Text.Json.Nodes;

namespace Testbed.Conformance.Tests;

/// <summary>The <c>vectors</c> command's output and exit codes, on the shipped files and on broken ones.</summary>
public sealed class VectorsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("testbed-vectors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Shipped_vectors_pass_with_exit_code_0()
    {
        (int code, string output, _) = Run("vectors", RepositoryPaths.Vectors);
        Assert.Equal(0, code);
        Assert.Matches(@"vectors: \d+ files, (\d+) tests: \1 passed, 0 failed", output);
    }

    [Fact]
    public void A_wrong_expected_value_fails_with_exit_code_1_and_names_the_test()
    {
        JsonNode file = LoadShipped("aes_ige.json");
        file["testGroups"]![1]!["tests"]![0]!["ct"] = new string('0', 64);
        (int code, string output, _) = Run("vectors", Write("wrong.json", file));
        Assert.Equal(1, code);
        Assert.Contains("FAIL aes-ige-256-grammers-encrypt", output, StringComparison.Ordinal);
        Assert.Contains("1 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_vector_that_is_accepted_fails()
    {
        JsonNode file = LoadShipped("mtproto2_envelope.json");
        JsonNode test = file["testGroups"]![2]!["tests"]![0]!;
        test["wire"] = file["testGroups"]![0]!["tests"]![0]!["wire"]!.GetValue<string>();
        (int code, string output, _) = Run("vectors", Write("accepted.json", file));
        Assert.Equal(1, code);
        Assert.Contains("accepted a message the vector calls invalid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_expected_reason_fails()
    {
        JsonNode file = LoadShipped("mtproto2_envelope.json");
        file["testGroups"]![2]!["tests"]![0]!["reason"] = "PaddingTooLong";
        (int code, string output, _) = Run("vectors", Write("reason.json", file));
        Assert.Equal(1, code);
        Assert.Contains("refused for MsgKeyMismatch, expected PaddingTooLong", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_own_file_in_the_same_schema_is_checked()
    {
        var file = JsonNode.Parse("""
            { "algorithm": "MTProto2-TmpAesKey", "schemaVersion": 1,
              "sources": [ { "id": "mine", "description": "my case", "reference": "my notes" } ],
              "testGroups": [ { "source": "mine", "tests": [ { "id": "my-case", "comment": "", "flags": [], "result": "valid",
                "serverNonce": "000102030405060708090a0b0c0d0e0f",
                "newNonce": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "tmpAesKey": "0758f1533b615d24f6e8a94a6fcbee0a55eaab2217d7295ca9213d1a2d7d16a6",
                "tmpAesIv": "5a84108e9805656ce864070e166e6218f6783e8511471a5ab7802cf200010203" } ] } ] }
            """)!;
        (int code, string output, _) = Run("vectors", Write("mine.json", file));
        Assert.Equal(0, code);
        Assert.Contains("1 tests: 1 passed, 0 failed", output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BrokenFiles() => new()
    {
        { "not json", "{ nope", "not valid JSON" },
        { "missing result", Mutate("aes_ige.json", f => f["testGroups"]![0]!["tests"]![0]!.AsObject().Remove("result")), "does not follow vectors/schema.json" },
        { "bad result", Mutate("aes_ige.json", f => f["testGroups"]![0]!["tests"]![0]!["result"] = "maybe"), "does not follow vectors/schema.json" },
        { "unknown algorithm", Mutate("aes_ige.json", f => f["algorithm"] = "ROT13"), "unknown algorithm 'ROT13'" },
        { "missing field", Mutate("aes_ige.json", f => f["testGroups"]![0]!["tests"]![0]!.AsObject().Remove("iv")), "missing field 'iv'" },
        { "bad hex", Mutate("aes_ige.json", f => f["testGroups"]![0]!["tests"]![0]!["key"] = "xyz"), "field 'key' must be a string of hex digits" },
        { "unknown source", Mutate("aes_ige.json", f => f["testGroups"]![0]!["source"] = "nowhere"), "names source 'nowhere'" },
        { "duplicate id", Mutate("aes_ige.json", f => f["testGroups"]![0]!["tests"]![1]!["id"] = "aes-ige-128-openssl-1"), "already used" },
        { "bad direction", Mutate("mtproto2_envelope.json", f => f["testGroups"]![0]!["direction"] = "sideways"), "direction must be" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_file_that_breaks_the_schema_exits_2_with_a_clear_message(string name, string content, string message)
    {
        string path = Path.Combine(_dir, name.Replace(' ', '-') + ".json");
        File.WriteAllText(path, content);
        (int code, string output, string error) = Run("vectors", path);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("passed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_path_exits_2()
    {
        (int code, _, string error) = Run("vectors", Path.Combine(_dir, "nothing-here"));
        Assert.Equal(2, code);
        Assert.Contains("no such file or directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_exits_2()
    {
        (int code, _, string error) = Run("vectors", "--frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("--frobnicate", error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static JsonNode LoadShipped(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Vectors, name)))!;

    private static string Mutate(string name, Action<JsonNode> change)
    {
        JsonNode file = LoadShipped(name);
        change(file);
        return file.ToJsonString();
    }

    private string Write(string name, JsonNode content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content.ToJsonString());
        return path;
    }
}
