namespace Testbed.Conformance.ClientSuite.Shim;

/// <summary>
/// What a shim says of itself when run with <c>--describe</c> (docs/client-shims.md): the client and version, the
/// transport/framing pairs it can use (its preferred first) and the faults it can switch on.
/// </summary>
internal sealed record ShimDescription(string Client, string Version, IReadOnlyList<string> Transports, IReadOnlyList<string> Faults)
{
    /// <summary>The pair the catalogue runs on, unless a case is about another.</summary>
    public string Preferred => Transports[0];

    /// <summary>Runs <c>COMMAND --describe</c>; a shim that does not answer with a usable line is a <see cref="FormatException"/>.</summary>
    public static async Task<ShimDescription> ReadAsync(ShimCommand command, CancellationToken cancel)
    {
        await using ShimProcess shim = ShimProcess.Start(command, ["--describe"]);
        await shim.WaitAsync(TimeSpan.FromSeconds(60), () => shim.Has("describe"));
        ShimEvent line = shim.Events.FirstOrDefault(e => e.Name == "describe")
            ?? throw new FormatException($"--shim '{command.Text}' gave no describe line for --describe (it printed: "
                + $"{string.Join(" | ", shim.Output.Take(5))})");
        string[] transports = List(line, "transports");
        return transports.Length == 0
            ? throw new FormatException($"--shim '{command.Text}': its describe line lists no transports")
            : new ShimDescription(line.Text("client"), line.Text("version"), transports, List(line, "faults"));
    }

    private static string[] List(ShimEvent line, string field) =>
        line.Line.TryGetProperty(field, out System.Text.Json.JsonElement value) && value.ValueKind == System.Text.Json.JsonValueKind.Array
            ? [.. value.EnumerateArray().Select(v => v.GetString() ?? "")]
            : [];
}
