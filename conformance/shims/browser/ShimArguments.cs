using System.Globalization;

namespace Testbed.Shims.Browser;

/// <summary>
/// The command line of docs/client-shims.md (version 1), preceded by the shim's own repeatable <c>--fault NAME</c>
/// (i15 rules: an unknown name is a usage error).
/// </summary>
internal sealed record ShimArguments(
    bool Describe,
    IReadOnlyList<string> Faults,
    string Host,
    int Port,
    string Transport,
    string Framing,
    string RsaKeyFile,
    int Dc,
    IReadOnlyList<string> Steps,
    double StepSeconds)
{
    /// <summary>Reads the arguments; throws <see cref="ShimUsageException"/> with the reason.</summary>
    public static ShimArguments Parse(IReadOnlyList<string> args)
    {
        var faults = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        bool describe = false;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name == "--describe")
            {
                describe = true;
                continue;
            }

            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Count)
            {
                throw new ShimUsageException($"expected --name value, got '{name}'");
            }

            string value = args[++i];
            if (name == "--fault")
            {
                faults.Add(KnownFault(value));
            }
            else
            {
                values[name[2..]] = value;
            }
        }

        if (describe)
        {
            return new ShimArguments(true, faults, "", 0, "", "", "", 0, [], 0);
        }

        return new ShimArguments(
            false,
            faults,
            Required(values, "host"),
            Number(Required(values, "port"), "port"),
            Required(values, "transport"),
            Required(values, "framing"),
            Required(values, "rsa-key"),
            Number(values.GetValueOrDefault("dc", "1"), "dc"),
            Required(values, "scenario").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Seconds(values.GetValueOrDefault("step-seconds", "5")));
    }

    /// <summary>
    /// How long the page may run: each step its step-seconds (a ping:N N times, an idle:S its S when longer), plus
    /// 10 s for Chromium and the page to start and close.
    /// </summary>
    public TimeSpan Deadline => TimeSpan.FromSeconds(10 + Steps.Sum(StepBudget));

    private double StepBudget(string step)
    {
        string[] parts = step.Split(':');
        double argument = parts.Length > 1 && double.TryParse(parts[1], CultureInfo.InvariantCulture, out double n) ? n : 1;
        return parts[0] switch
        {
            "ping" => argument * StepSeconds,
            "idle" => Math.Max(argument, StepSeconds),
            _ => StepSeconds,
        };
    }

    private static string KnownFault(string name) => ClientFaults.Names.Contains(name)
        ? name
        : throw new ShimUsageException($"unknown fault '{name}' (known: {string.Join(", ", ClientFaults.Names)})");

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out string? value) ? value : throw new ShimUsageException($"--{name} is required");

    private static double Seconds(string text) =>
        double.TryParse(text, CultureInfo.InvariantCulture, out double value) && value > 0
            ? value
            : throw new ShimUsageException($"--step-seconds is not a positive number: '{text}'");

    private static int Number(string text, string name) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out int value) ? value : throw new ShimUsageException($"--{name} is not a number: '{text}'");
}
