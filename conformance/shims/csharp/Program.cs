using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;
using Testbed.Shims.CSharp;

// The C# library's client shim (docs/client-shims.md, version 1): `client run` starts it once per case against its
// hostile server. It never judges; it runs the scenario with MtProtoClient and reports what the library delivered.
// Exit codes: 0 when the scenario ran to its end, 2 on a usage problem or an unsupported transport or step.
ShimArguments options;
try
{
    options = ShimArguments.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"csharp-shim: {e.Message}");
    return 2;
}

if (options.Describe)
{
    ShimOutput.Emit("describe", new JsonObject
    {
        ["protocol"] = ShimOutput.Protocol,
        ["client"] = ShimOutput.Client,
        ["version"] = ShimOutput.Version,
        ["transports"] = new JsonArray([.. ShimTransports.All.Select(t => (JsonNode)t)]),
        ["faults"] = new JsonArray([.. ClientFaultNames.All.Select(f => (JsonNode)f)]),
    });
    return 0;
}

string? unsupported = !ShimTransports.IsSupported(options.Transport, options.Framing)
    ? $"transport {options.Transport}/{options.Framing} (this shim: {string.Join(", ", ShimTransports.All)})"
    : options.Scenario.FirstOrDefault(step => !ScenarioRunner.IsKnownStep(step)) is { } step ? $"step '{step}'" : null;
if (unsupported is not null)
{
    ShimOutput.Emit("unsupported", new JsonObject { ["reason"] = unsupported });
    return 2;
}

RsaPublicKey serverKey;
try
{
    serverKey = RsaPublicKey.FromPem(await File.ReadAllTextAsync(options.RsaKeyFile));
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
{
    Console.Error.WriteLine($"csharp-shim: --rsa-key {options.RsaKeyFile}: {e.Message}");
    return 2;
}

ShimOutput.Emit("start", new JsonObject { ["protocol"] = ShimOutput.Protocol, ["client"] = ShimOutput.Client, ["version"] = ShimOutput.Version });
await new ScenarioRunner(options, serverKey).RunAsync();
return 0;
