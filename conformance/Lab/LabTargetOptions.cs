using System.CommandLine;
using System.Net;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Lab;

/// <summary>
/// The options that choose what a lab command runs against, shared by <c>lab run</c> and <c>lab timing</c>: the
/// reference server the lab starts (clean or <c>--fault</c>), or any server (<c>--target</c> with its key).
/// </summary>
internal sealed class LabTargetOptions
{
    public Option<string?> Fault { get; } = new("--fault") { Description = "Start the reference server with this fault profile, NAME or NAME=VALUE (default: clean)" };

    public Option<string?> Target { get; } = new("--target") { Description = "Any server instead: tcp://host:port (intermediate framing)" };

    public Option<string[]> Nodes { get; } = new("--node")
    {
        Description = "With --target: another node of the same cluster, tcp://host:port (repeatable), for cross-node-replay",
    };

    public Option<string?> RsaKey { get; } = new("--rsa-key") { Description = "With --target: the server's RSA public key (PEM file)" };

    public Option<string?> ServerInfo { get; } = new("--server-info")
    {
        Description = "With --target: a /server-info URL; its host also serves the lab clock, if the server has it",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Fault);
        command.Options.Add(Target);
        command.Options.Add(Nodes);
        command.Options.Add(RsaKey);
        command.Options.Add(ServerInfo);
    }

    /// <summary>The run's name for report directories: the fault, "clean", or "target".</summary>
    public string Label(ParseResult parse, LabTarget server) => server.Fault ?? (parse.GetValue(Target) is null ? "clean" : "target");

    /// <summary>Starts the reference server, or reaches the one given.</summary>
    /// <exception cref="TargetProblem">The target address is not usable.</exception>
    public async Task<LabTarget> OpenAsync(ParseResult parse, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Target) is not { } address)
        {
            return await LabTarget.StartReferenceAsync(parse.GetValue(Fault));
        }

        DnsEndPoint tcp = TcpEndpoint("--target", address);
        DnsEndPoint[] nodes = [.. (parse.GetValue(Nodes) ?? []).Select(node => TcpEndpoint("--node", node))];
        RsaPublicKey key = await ServerKeyLoader.LoadAsync(parse.GetValue(RsaKey), parse.GetValue(ServerInfo), cancel);
        Uri? http = parse.GetValue(ServerInfo) is { } serverInfo ? new Uri(new Uri(serverInfo), "/") : null;
        return LabTarget.External(tcp, http, key, nodes);
    }

    /// <summary>Whether the command was given other nodes of a cluster (the experiments that need one run only then).</summary>
    public bool HasNodes(ParseResult parse) => parse.GetValue(Nodes) is { Length: > 0 };

    private static DnsEndPoint TcpEndpoint(string option, string address)
    {
        Uri uri = Harness.Target.ParseAddress(address, out string? problem) ?? throw new TargetProblem(problem!);
        return uri.Scheme == "tcp" ? new DnsEndPoint(uri.Host, uri.Port)
            : throw new ArgumentException($"the lab's experiments run over MTProto TCP: {option} tcp://host:port");
    }

    /// <summary>Whether <paramref name="e"/> is a failure a lab command reports as one line with exit 2 (usage, connection, refusal).</summary>
    public static bool IsUserProblem(Exception e) =>
        e is TargetProblem or ArgumentException or FormatException or IOException or HttpRequestException or LabException
            or System.Net.Sockets.SocketException or HandshakeException or Testbed.Protocol.Client.TransportErrorException;
}
