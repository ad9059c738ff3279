using System.Globalization;
using Testbed.Protocol.Client;

namespace Testbed.Shims.CSharp;

/// <summary>
/// The command line (docs/client-shims.md, "Arguments"): the shim's own <c>--fault NAME</c> options (repeatable, the
/// names of <see cref="ClientFaultNames"/>), then <c>--describe</c> or the runner's <c>--name value</c> pairs.
/// </summary>
internal sealed record ShimArguments(bool Describe, ClientFaults Faults, string Host, int Port, string Transport, string Framing,
    string RsaKeyFile, int DataCenter, IReadOnlyList<string> Scenario, int StepSeconds)
{
    /// <summary>Reads the command line.</summary>
    /// <exception cref="UsageException">An unknown option or fault, a missing or malformed value.</exception>
    public static ShimArguments Parse(IReadOnlyList<string> args)
    {
        bool describe = args.Contains("--describe");
        string[] pairs = [.. args.Where(a => a != "--describe")];
        if (pairs.Length % 2 != 0 || pairs.Where((_, i) => i % 2 == 0).Any(name => !name.StartsWith("--", StringComparison.Ordinal)))
        {
            throw new UsageException($"expected --name value pairs, got '{string.Join(' ', pairs)}'");
        }

        var faults = ClientFaults.None;
        var values = new Dictionary<string, string>();
        for (int i = 0; i < pairs.Length; i += 2)
        {
            (string name, string value) = (pairs[i][2..], pairs[i + 1]);
            faults |= name != "fault" ? ClientFaults.None
                : ClientFaultNames.TryParse(value, out ClientFaults fault) ? fault
                : throw new UsageException($"unknown fault '{value}' (known: {string.Join(", ", ClientFaultNames.All)})");
            values[name] = value;
        }

        if (describe)
        {
            return new ShimArguments(true, faults, "", 0, "", "", "", 1, [], 5);
        }

        string Required(string name) => values.GetValueOrDefault(name) ?? throw new UsageException($"--{name} is required");
        int Number(string name, string? fallback) =>
            int.TryParse(values.GetValueOrDefault(name) ?? fallback ?? Required(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
                ? n
                : throw new UsageException($"--{name} must be a non-negative integer");

        return new ShimArguments(false, faults, Required("host"), Number("port", null), Required("transport"), Required("framing"),
            Required("rsa-key"), Number("dc", "1"), Required("scenario").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Math.Max(1, Number("step-seconds", "5")));
    }
}
