using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.ClientSuite.Shim;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.ClientSuite;

/// <summary>
/// What one run of the shim against the hostile server showed: the wire (<see cref="Log"/>) and what the library told
/// its user (<see cref="Events"/>). Live while the run lasts (a case's stop condition reads it), fixed after.
/// </summary>
internal sealed class ClientObservation(WireLog log, ShimProcess shim, string transport)
{
    public WireLog Log { get; } = log;

    public string Transport { get; } = transport;

    public IReadOnlyList<ShimEvent> Events => shim.Events;

    public int? ExitCode => shim.ExitCode;

    public long PeakMiB => shim.PeakMiB;

    public IReadOnlyList<string> Output => shim.Output;

    /// <summary>The first line of the shim's stderr that names an error, or its last line: why a shim died.</summary>
    private string? Crash
    {
        get
        {
            IReadOnlyList<string> errors = shim.Errors;
            return errors.FirstOrDefault(l => l.Contains("Error", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal))
                ?? (errors.Count > 0 ? errors[^1] : null);
        }
    }

    /// <summary>The shim's reason when it said it cannot run this transport or scenario.</summary>
    public string? Unsupported => Events.FirstOrDefault(e => e.Name == "unsupported")?.Text("reason");

    /// <summary>The events called <paramref name="name"/>.</summary>
    public IEnumerable<ShimEvent> All(string name) => Events.Where(e => e.Name == name);

    /// <summary>Whether the shim reported an auth key the server made (the handshake finished on both sides).</summary>
    public bool HasSession => Log.Keys.Any(k => Reported(k.KeyId));

    /// <summary>
    /// Keys the server made whose first byte is zero and that the shim never reported. A client that makes its key
    /// from g_ab without that byte holds another key than the server's (docs/client-conformance.md, "A key that
    /// begins with zero"): whatever the case then saw was decided by that, not by the point under test.
    /// </summary>
    public int LeadingZeroKeysLost => Log.Keys.Count(k => k.LeadingZero && !Reported(k.KeyId));

    private bool Reported(long keyId) => All("auth_key").Any(e => AuthKey.FormatId(keyId) == e.Text("id"));

    /// <summary>The evidence line every verdict carries: what the client did on the wire and what the shim reported.</summary>
    public string Summary()
    {
        var handshake = Log.Handshake.Select(h => h.Query).ToList();
        string events = string.Join(", ", Events.Where(e => e.Name is not "start" and not "closed")
            .Select(e => e.Name switch
            {
                "rpc_result" => $"rpc_result({e.Text("country")})",
                "pong" => $"pong({e.Text("ping_id")})",
                "update" => $"update({e.Text("name")} {e.Text("date")})",
                "error" => $"error({Short(e.Text("message"))})",
                "rpc_error" => $"rpc_error({e.Text("code")} {e.Text("message")})",
                _ => e.Name,
            }).Take(12));
        return $"{Log.Connections.Count} connection(s) [{string.Join(", ", Log.Connections.Distinct())}]; handshake queries: "
            + $"{(handshake.Count == 0 ? "none" : string.Join(" ", handshake))}; keys made {Log.Keys.Count}; encrypted packets {Log.Packets.Count}; "
            + $"shim: {(events.Length == 0 ? "no events" : events)}{(ExitCode is int code ? $", exit {code}" : ", killed at the deadline")}"
            + (ExitCode is not (null or 0 or 2) && Crash is { } crash ? $" ({Short(crash)})" : "");
    }

    private static string Short(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
