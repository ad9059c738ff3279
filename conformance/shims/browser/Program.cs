// The browser client's shim for `client run` (docs/client-shims.md, version 1): --describe answers from here; a run
// opens client/conformance.html in Chromium, which drives the real client code and reports the events.
using Testbed.Shims.Browser;

ShimArguments arguments;
try
{
    arguments = ShimArguments.Parse(args);
}
catch (ShimUsageException e)
{
    await Console.Error.WriteLineAsync($"browser-shim: {e.Message}");
    return 2;
}

if (arguments.Describe)
{
    ShimOutput.Write(new Dictionary<string, object>
    {
        ["event"] = "describe",
        ["protocol"] = ShimOutput.Protocol,
        ["client"] = ShimOutput.Client,
        ["version"] = ShimOutput.Version,
        ["transports"] = PageRun.Transports,
        ["faults"] = ClientFaults.Names,
    });
    return 0;
}

string transport = $"{arguments.Transport}/{arguments.Framing}";
if (!PageRun.Transports.Contains(transport))
{
    ShimOutput.Write(new Dictionary<string, string>
    {
        ["event"] = "unsupported",
        ["reason"] = $"{transport} (this shim: {string.Join(", ", PageRun.Transports)})",
    });
    return 2;
}

return await PageRun.RunAsync(arguments);
