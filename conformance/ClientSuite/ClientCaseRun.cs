using System.Globalization;
using Testbed.Conformance.ClientSuite.Hostile;
using Testbed.Conformance.ClientSuite.Shim;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.ClientSuite;

/// <summary>
/// What a client case works with: the shim (its command and description) and a way to run it once against a fresh
/// hostile server that follows a script. A case may run the shim more than once (each run gets its own server).
/// </summary>
internal sealed class ClientCaseRun(ShimCommand command, ShimDescription shim, RsaKeyPair key, string keyFile, int stepSeconds)
{
    /// <summary>The DC number every shim is given (not 1, so that a client that ignores it shows).</summary>
    public const int DataCenter = 2;

    public ShimDescription Shim { get; } = shim;

    public int StepSeconds { get; } = stepSeconds;

    /// <summary>Set when a run's shim said it cannot run what was asked: the case is then not applicable.</summary>
    public string? Unsupported { get; private set; }

    /// <summary>Keys lost to their leading zero byte over this case's runs (<see cref="ClientObservation.LeadingZeroKeysLost"/>).</summary>
    public int LeadingZeroKeysLost { get; private set; }

    /// <summary>
    /// Runs the shim's <paramref name="scenario"/> against a hostile server following <paramref name="script"/> over
    /// <paramref name="transport"/> (default: the shim's preferred one), until the shim exits, <paramref name="stopWhen"/>
    /// holds, or the scenario's deadline passes. The server and the shim use the run's RSA key, or
    /// <paramref name="serverKey"/> for a case about the key itself.
    /// </summary>
    public async Task<ClientObservation> RunAsync(string scenario, HostileScript? script = null, Func<ClientObservation, bool>? stopWhen = null,
        string? transport = null, RsaKeyPair? serverKey = null)
    {
        transport ??= Shim.Preferred;
        string[] parts = transport.Split('/', 2);
        string pinned = serverKey is null ? keyFile : await PublicKeyFileAsync(serverKey);
        await using HostileServer server = HostileServer.Start(serverKey ?? key, script ?? new HostileScript());
        await using ShimProcess process = ShimProcess.Start(command,
        [
            "--host", "127.0.0.1", "--port", server.Port.ToString(CultureInfo.InvariantCulture),
            "--transport", parts[0], "--framing", parts.Length > 1 ? parts[1] : "intermediate",
            "--rsa-key", pinned, "--dc", DataCenter.ToString(CultureInfo.InvariantCulture),
            "--scenario", scenario, "--step-seconds", StepSeconds.ToString(CultureInfo.InvariantCulture),
        ]);
        var observation = new ClientObservation(server.Log, process, transport);
        await process.WaitAsync(Deadline(scenario), () => stopWhen?.Invoke(observation) == true);
        Unsupported ??= observation.Unsupported;
        LeadingZeroKeysLost += observation.LeadingZeroKeysLost;
        return observation;
    }

    /// <summary>The public half of a case's own key, as PKCS#1 PEM beside the run's key file (named by its fingerprint).</summary>
    private async Task<string> PublicKeyFileAsync(RsaKeyPair serverKey)
    {
        string file = Path.Combine(Path.GetDirectoryName(keyFile)!,
            $"server-public-{(ulong)serverKey.PublicKey.Fingerprint:x16}.pem");
        await File.WriteAllTextAsync(file, serverKey.PublicKey.ToPem());
        return file;
    }

    /// <summary>The scenario's time: a step's seconds for each handshake, ping and call, idle's own, and 5 s for start-up.</summary>
    private TimeSpan Deadline(string scenario) => TimeSpan.FromSeconds(5 + scenario.Split(',').Sum(step => step.Split(':') switch
    {
        ["ping", var n] => StepSeconds * int.Parse(n, CultureInfo.InvariantCulture),
        ["idle", var s] => int.Parse(s, CultureInfo.InvariantCulture),
        _ => StepSeconds,
    }));
}
