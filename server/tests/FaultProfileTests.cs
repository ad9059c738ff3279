using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;
using Testbed.Server.Faults;

namespace Testbed.Server.Tests;

/// <summary>Each fault profile changes the server's behaviour the way it claims, against the hardened default.</summary>
public sealed class FaultProfileTests
{
    [Fact]
    public async Task List_faults_names_every_profile_and_an_unknown_one_exits_2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await ServerCommandLine.RunAsync(["--list-faults"], output, error));
        Assert.All(FaultCatalog.All, f => Assert.Contains(f.Name, output.ToString(), StringComparison.Ordinal));
        Assert.Equal(2, await ServerCommandLine.RunAsync(["--fault", "no-such-fault"], output, error));
        Assert.Contains("unknown fault 'no-such-fault'", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>What a scenario's last answer was: the object's name and, for refusals, the code.</summary>
    private delegate Task<string> Scenario(ITestTransport connection, ClientSession session, string dataDirectory);

    private static async Task<string> Run(Scenario scenario, params string[] faults)
    {
        await using RunningServer server = await RunningServer.StartAsync([.. faults.SelectMany(f => new[] { "--fault", f })]);
        await using TestSession test = await ClientFlows.OpenSessionAsync(server);
        return await scenario(test.Connection, test.Session, server.DataDirectory);
    }

    private static async Task<string> Answer(ITestTransport connection, ClientSession session, byte[] wire)
    {
        TlObject last = ClientFlows.Open(session, await connection.RoundTripAsync(wire))[^1];
        return last.Combinator.Name switch
        {
            "bad_msg_notification" or "bad_server_salt" => $"{last.Combinator.Name} {last.Get<int>("error_code")}",
            string name => name,
        };
    }

    private static readonly Scenario HeldBackMessage = async (connection, session, dataDirectory) =>
    {
        (byte[] earlier, _) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        (byte[] held, _) = session.Encrypt(ClientFlows.Ping(2), contentRelated: true);
        (byte[] later, _) = session.Encrypt(ClientFlows.Ping(3), contentRelated: true);
        await connection.RoundTripAsync(earlier);
        await connection.RoundTripAsync(later);
        return await Answer(connection, session, held);
    };

    private static readonly Scenario OldMessage = async (connection, session, dataDirectory) =>
    {
        EnvelopeHeader header = session.NextHeader(true) with { MsgId = MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(-301)) & ~3L };
        byte[] ping = ClientFlows.Ping(4);
        return await Answer(connection, session, session.Encrypt(header, ping, PaddingPolicy.MinimalLength(ping.Length)));
    };

    private static readonly Scenario WrongSalt = async (connection, session, dataDirectory) =>
    {
        session.Salt ^= 0x5a5a;
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(5), contentRelated: true);
        return await Answer(connection, session, wire);
    };

    // Replays the first of two messages; reports whether the server logged the replay as refused.
    private static readonly Scenario ReplayOfAnOlderMessage = async (connection, session, dataDirectory) =>
    {
        (byte[] first, _) = session.Encrypt(ClientFlows.Ping(6), contentRelated: true);
        (byte[] second, _) = session.Encrypt(ClientFlows.Ping(7), contentRelated: true);
        await connection.RoundTripAsync(first);
        await connection.RoundTripAsync(second);
        string answer = await Answer(connection, session, first);
        string events = await File.ReadAllTextAsync(Path.Combine(dataDirectory, SecurityEventLog.FileName));
        bool refused = events.Contains("\"replay_refused\"", StringComparison.Ordinal)
            || events.Contains("\"message_refused\"", StringComparison.Ordinal);
        return refused ? $"refused ({answer})" : $"processed again ({answer})";
    };

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // fault, scenario, hardened answer, answer with the fault on
        { "reordering-tolerated", nameof(HeldBackMessage), "bad_msg_notification 16", "pong" },
        { "no-time-window", nameof(OldMessage), "bad_msg_notification 16", "pong" },
        { "salt-ignored", nameof(WrongSalt), "bad_server_salt 48", "pong" },
        { "accept-duplicates", nameof(ReplayOfAnOlderMessage), "refused (pong)", "processed again (pong)" },
        { "replay-window-one", nameof(ReplayOfAnOlderMessage), "refused (pong)", "processed again (pong)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_fault_changes_exactly_what_it_claims(string fault, string scenarioName, string hardened, string faulty)
    {
        Scenario scenario = scenarioName switch
        {
            nameof(HeldBackMessage) => HeldBackMessage,
            nameof(OldMessage) => OldMessage,
            nameof(WrongSalt) => WrongSalt,
            _ => ReplayOfAnOlderMessage,
        };
        Assert.Equal(hardened, await Run(scenario));
        Assert.Equal(faulty, await Run(scenario, fault));
    }
}
