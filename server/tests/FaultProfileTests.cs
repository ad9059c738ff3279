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
        Assert.Contains("length-timing-leak[=NANOSECONDS, 1..10000000, default 1000]", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("length-timing-leak=abc", "fault 'length-timing-leak' takes nanoseconds from 1 to 10000000 (length-timing-leak=VALUE), not 'abc'.")]
    [InlineData("length-timing-leak=0", "fault 'length-timing-leak' takes nanoseconds from 1 to 10000000 (length-timing-leak=VALUE), not '0'.")]
    [InlineData("length-timing-leak=-5", "not '-5'.")]
    [InlineData("length-timing-leak=10000001", "not '10000001'.")]
    [InlineData("accept-duplicates=3", "fault 'accept-duplicates' takes no value, but 'accept-duplicates=3' gives one.")]
    public async Task A_fault_value_the_profile_does_not_take_exits_2_with_one_line_saying_why(string fault, string message)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(2, await ServerCommandLine.RunAsync(["--fault", fault], output, error));
        string line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.EndsWith(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_value_is_parsed_and_a_sized_profile_alone_takes_its_default()
    {
        Assert.Equal(250, FaultCatalog.Parse("length-timing-leak=250").Value);
        Assert.Equal(FaultCatalog.Find("length-timing-leak")!.Parameter!.Default, FaultCatalog.Parse("length-timing-leak").Value);
        Assert.Equal(250, FaultProfile.Combine(["length-timing-leak=250"]).LengthTimingLeakNanoseconds);
        Assert.Equal(0, ServerBehaviour.Hardened.LengthTimingLeakNanoseconds);
    }

    /// <summary>
    /// The planted leak spends at least its size: a lower bound only, which no load can break (a busy machine makes
    /// the wait longer, never shorter), so this is not a timing threshold of the kind tests must not have.
    /// </summary>
    [Theory]
    [InlineData(1_000)]
    [InlineData(100_000)]
    [InlineData(5_000_000)]
    public void The_calibrated_delay_spins_at_least_its_size_less_its_calibrated_overhead(long nanoseconds)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        CalibratedDelay.Spin(nanoseconds);
        double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalNanoseconds;
        Assert.True(elapsed >= nanoseconds - CalibratedDelay.OverheadNanoseconds, $"{elapsed} ns for {nanoseconds} ns");
    }

    /// <summary>
    /// Below the clock threshold the delay counts loop iterations: ten thousand waits of 400 ns take 4 ms when the loop
    /// runs as fast as at its calibration; the bound below leaves a quarter for a faster core (a lower bound again: a
    /// loop optimised away would take nothing).
    /// </summary>
    [Fact]
    public void The_counted_delay_below_the_clock_threshold_is_not_optimised_away()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 10_000; i++)
        {
            CalibratedDelay.Spin(CalibratedDelay.ClockThresholdNanoseconds - 100);
        }

        double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Assert.True(elapsed >= 3.0, $"{elapsed} ms for 10,000 waits of 400 ns");
    }

    /// <summary>
    /// length-timing-leak answers exactly as the clean server does (the -404 of the scenario table below) and differs
    /// only in time: a 10 ms leak makes the damaged packet's answer take at least 10 ms, a lower bound as above.
    /// </summary>
    [Fact]
    public async Task The_timing_leak_answers_as_the_clean_server_and_costs_at_least_its_size_on_a_bad_layout()
    {
        Assert.Equal("transport error -404", await Run(TamperedFirstBlock, "length-timing-leak=10000000"));
        TimeSpan badLayout = await TimedRun(TamperedFirstBlock, "length-timing-leak=10000000");
        Assert.True(badLayout >= TimeSpan.FromMilliseconds(10), $"{badLayout.TotalMilliseconds} ms");
        Assert.Equal("transport error -404", await Run(TamperedLastBlock, "length-timing-leak=10000000"));
    }

    private static async Task<TimeSpan> TimedRun(Scenario scenario, string fault)
    {
        await using RunningServer server = await RunningServer.StartAsync("--fault", fault);
        await using TestSession test = await ClientFlows.OpenSessionAsync(server);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await scenario(test.Connection, test.Session, server.DataDirectory);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
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

        // The connection's packets are processed one after another, each one's event written before the next is
        // read: once a later ping is answered, the replay's event (or its absence) is final. No waiting for an absence.
        (byte[] barrier, _) = session.Encrypt(ClientFlows.Ping(8), contentRelated: true);
        byte[] reply = await connection.RoundTripAsync(barrier);
        while (!ClientFlows.Open(session, reply).Any(o => o.Combinator.Name == "pong" && o.Get<long>("ping_id") == 8))
        {
            reply = await ((TestTransport)connection).TryReceiveAsync() ?? throw new IOException("The server closed the connection.");
        }

        string events = await File.ReadAllTextAsync(Path.Combine(dataDirectory, SecurityEventLog.FileName));
        bool refused = events.Contains("\"replay_refused\"", StringComparison.Ordinal) || events.Contains("\"message_refused\"", StringComparison.Ordinal);
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
        { "length-before-mac", nameof(TamperedFirstBlock), "transport error -404", "transport error -400" },
        { "length-timing-leak", nameof(TamperedFirstBlock), "transport error -404", "transport error -404" },
        { "padding-unchecked", nameof(AppendedBlock), "transport error -404", "pong" },
        { "session-id-unchecked", nameof(SecondSession), "new session announced", "no new session" },
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
            nameof(TamperedFirstBlock) => TamperedFirstBlock,
            nameof(AppendedBlock) => AppendedBlock,
            nameof(SecondSession) => SecondSession,
            _ => ReplayOfAnOlderMessage,
        };
        Assert.Equal(hardened, await Run(scenario));
        Assert.Equal(faulty, await Run(scenario, fault));
    }

    // A valid ping whose first ciphertext block is damaged: the decrypted length field is garbage.
    private static readonly Scenario TamperedFirstBlock = async (connection, session, dataDirectory) =>
    {
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(8), contentRelated: true);
        wire[MessageEnvelope.WireHeaderSize + 3] ^= 0x40;
        byte[] answer = await connection.RoundTripAsync(wire);
        return answer.Length == 4 ? $"transport error {System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(answer)}" : "a message";
    };

    // A valid ping whose last ciphertext block is damaged: msg_key fails, the layout decrypts intact (docs/protocol.md §2.3).
    private static readonly Scenario TamperedLastBlock = async (connection, session, dataDirectory) =>
    {
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(8), contentRelated: true);
        wire[^1] ^= 0x40;
        byte[] answer = await connection.RoundTripAsync(wire);
        return answer.Length == 4 ? $"transport error {System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(answer)}" : "a message";
    };

    // A valid ping with one more block of random bytes appended.
    private static readonly Scenario AppendedBlock = async (connection, session, dataDirectory) =>
    {
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(9), contentRelated: true);
        byte[] extended = [.. wire, .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)];
        byte[] answer = await connection.RoundTripAsync(extended);
        return answer.Length == 4 ? $"transport error {System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(answer)}" : ClientFlows.Open(session, answer)[^1].Combinator.Name;
    };

    // A second session_id on the same key: is it announced with new_session_created?
    private static readonly Scenario SecondSession = async (connection, session, dataDirectory) =>
    {
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(10), contentRelated: true);
        await connection.RoundTripAsync(wire);
        ClientSession second = session.NewSession();
        (wire, _) = second.Encrypt(ClientFlows.Ping(11), contentRelated: true);
        List<TlObject> answers = ClientFlows.Open(second, await connection.RoundTripAsync(wire));
        return answers.Any(a => a.Combinator.Name == "new_session_created") ? "new session announced" : "no new session";
    };

    [Fact]
    public async Task A_g_b_of_one_gets_dh_gen_fail_unless_the_range_check_is_off()
    {
        static async Task<string> FinalAnswer(params string[] faults)
        {
            await using RunningServer server = await RunningServer.StartAsync([.. faults.SelectMany(f => new[] { "--fault", f })]);
            await using var http = new HttpTestTransport(server.HttpBase);
            var client = new HandshakeClient([server.PublicKey], new HandshakeClientOptions { ReplaceGB = _ => [1] });
            long msgId = 4;
            async Task<byte[]> Exchange(byte[] query)
            {
                byte[] answer = await http.RoundTripAsync(UnencryptedMessage.Build(msgId += 4, query));
                return answer.AsSpan(UnencryptedMessage.HeaderSize).ToArray();
            }

            byte[] setDh = client.OnServerDhParams(await Exchange(client.OnResPq(await Exchange(client.Start()))));
            return TlCodec.MTProto.Deserialize(await Exchange(setDh)).Combinator.Name;
        }

        Assert.Equal("dh_gen_fail", await FinalAnswer());
        Assert.Equal("dh_gen_ok", await FinalAnswer("g-b-range-unchecked"));
    }

    [Fact]
    public async Task An_unacknowledged_answer_is_re_sent_in_a_new_container_unless_resends_reuse_the_header()
    {
        static async Task<(long Original, long ResentOuter, long ResentInner)> Observe(params string[] faults)
        {
            await using RunningServer server = await RunningServer.StartAsync([.. faults.SelectMany(f => new[] { "--fault", f })]);
            await using Testbed.Protocol.Client.MtProtoClient client = await Clients.ConnectAsync(server);
            client.SendAcks = false;
            await Assert.ThrowsAsync<Testbed.Protocol.Client.RpcException>(() => client.InvokeAsync(Clients.Call("chat.getSelf")));
            using var timeout = new CancellationTokenSource(Clients.Patience);
            Testbed.Protocol.Client.ReceivedPacket first = await client.WaitForPacketAsync(
                p => p.Messages.Any(m => m.Body.Combinator.Name == "rpc_result"), timeout.Token);
            long original = first.Messages.Single(m => m.Body.Combinator.Name == "rpc_result").MsgId;

            await client.ReconnectAsync(await Clients.TransportAsync(server, "tcp"));
            await client.RequestAsync(Clients.Call("ping", 1L));
            Testbed.Protocol.Client.ReceivedPacket resent = await client.WaitForPacketAsync(
                p => p.Messages.Any(m => m.Body.Combinator.Name == "rpc_result" && m.MsgId == original), timeout.Token);
            return (original, resent.Header!.Value.MsgId, resent.Messages.Single(m => m.Body.Combinator.Name == "rpc_result").MsgId);
        }

        (long original, long outer, long inner) = await Observe();
        Assert.Equal(original, inner);
        Assert.NotEqual(original, outer); // a new header around the same message
        (original, outer, _) = await Observe("resends-reuse-header");
        Assert.Equal(original, outer); // the same header encrypted twice
    }
}
