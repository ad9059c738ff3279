using System.Buffers.Binary;
using System.Text.Json;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;

namespace Testbed.Server.Tests;

/// <summary>The security-event log and the rate limits on unencrypted messages.</summary>
public sealed class ServerSecurityTests
{
    [Fact]
    public async Task Security_events_are_json_lines_with_ids_and_never_key_material()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using var http = new HttpTestTransport(server.HttpBase);
        HandshakeClientDone done = await ClientFlows.HandshakeAsync(http, server.PublicKey);
        await http.PostAsync(new byte[40]); // an unencrypted message too short to be one
        await http.PostAsync([.. BitConverter.GetBytes(0x1122334455667788L), .. new byte[64]]); // unknown auth key

        string text = await SecurityEvents.ReadWhenAsync(server.DataDirectory, t => t.Contains("\"unknown_auth_key\"", StringComparison.Ordinal));
        JsonElement[] events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        using var key = AuthKey.FromBytes(done.AuthKey);
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "auth_key_created"
            && e.GetProperty("authKeyId").GetString() == ((ulong)key.Id).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "handshake_refused" && e.GetProperty("code").GetInt32() == -404);
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "unknown_auth_key"
            && e.GetProperty("authKeyId").GetString() == "1122334455667788");
        Assert.All(events, e => Assert.Equal("http", e.GetProperty("transport").GetString()));
        Assert.DoesNotContain(Convert.ToHexString(done.AuthKey.AsSpan(0, 16)), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(done.AuthKey.AsSpan(0, 16)), text, StringComparison.Ordinal);
    }

    /// <summary>Each budget of unencrypted messages per address (docs/protocol.md §6) ends in -429; garbage is -404 before.</summary>
    [Theory]
    [InlineData("HandshakeMessagesPerMinute", 200)]
    [InlineData("GarbageMessagesPerMinute", -404)]
    public async Task Unencrypted_messages_past_their_per_address_limit_get_minus_429(string setting, int answer)
    {
        await using RunningServer server = await RunningServer.StartAsync($"--Testbed:{setting}=5");
        await using var http = new HttpTestTransport(server.HttpBase);
        var statuses = new List<int>();
        for (int i = 0; i < 7; i++)
        {
            byte[] message = answer == 200 ? UnencryptedMessage.Build(4 * (i + 1), new HandshakeClient([server.PublicKey]).Start()) : new byte[40];
            (int status, byte[] body) = await http.PostAsync(message);
            statuses.Add(status == 200 ? status : BinaryPrimitives.ReadInt32LittleEndian(body));
        }

        Assert.Equal([answer, answer, answer, answer, answer, -429, -429], statuses);
    }

    /// <summary>
    /// Garbage from an address (a NAT's other hosts) is not a handshake query, so it does not spend the handshake
    /// budget: before, 120 such packets made the address's real handshakes get -429 for up to a minute.
    /// </summary>
    [Fact]
    public async Task A_thousand_garbage_packets_leave_the_address_able_to_make_a_key()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using var http = new HttpTestTransport(server.HttpBase);
        byte[] notAQuery = UnencryptedMessage.Build(4, [1, 2, 3, 4, 5, 6, 7, 8]);
        for (int i = 0; i < 1000; i++)
        {
            (int status, _) = await http.PostAsync(i % 2 == 0 ? new byte[40] : notAQuery); // malformed, or well-formed but no query
            Assert.Equal(404, status);
        }

        Assert.Equal(AuthKey.Size, (await ClientFlows.HandshakeAsync(http, server.PublicKey)).AuthKey.Length);
    }
}
