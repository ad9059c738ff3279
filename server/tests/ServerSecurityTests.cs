using System.Buffers.Binary;
using System.Text.Json;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;

namespace Testbed.Server.Tests;

/// <summary>The security-event log and the handshake rate limit.</summary>
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

    [Fact]
    public async Task Handshake_messages_past_the_per_address_limit_get_minus_429()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=5");
        await using var http = new HttpTestTransport(server.HttpBase);
        var statuses = new List<int>();
        for (int i = 0; i < 7; i++)
        {
            (int status, byte[] body) = await http.PostAsync(UnencryptedMessage.Build(4 * (i + 1), new HandshakeClient([server.PublicKey]).Start()));
            statuses.Add(status == 429 ? BinaryPrimitives.ReadInt32LittleEndian(body) : status);
        }

        Assert.Equal([200, 200, 200, 200, 200, -429, -429], statuses);
    }
}
