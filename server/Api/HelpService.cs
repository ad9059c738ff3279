using System.Net;
using System.Text;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Api;

/// <summary>
/// help.getNearestDc and help.getConfig, the calls real clients make first (docs/protocol.md §9.2): gramjs 2.26.22
/// sends invokeWithLayer(193, initConnection(help.getConfig)) on every connect and fails the connect without its
/// answer; @mtproto/core 6.3.0 calls help.getConfig when it resumes with a saved key; mtcute 0.30.3 calls help.getConfig
/// for its DC list and help.getNearestDc to initialise a connection again. Both describe this server's one DC.
/// </summary>
internal sealed class HelpService(int dataCenter, Func<IPEndPoint> tcpEndpoint, TimeProvider clock)
{
    /// <summary>
    /// The layers whose Config this server writes: config#cc1a241e is the layout of all of them (the schemas of
    /// @mtproto/core 6.3.0 at 158, gramjs at 193 and 222, mtcute 0.30.3 at 227 have exactly this one).
    /// </summary>
    public const int FirstLayer = 158;

    /// <inheritdoc cref="FirstLayer"/>
    public const int LastLayer = 227;

    /// <summary>How long a client may keep the Config: an hour, as Telegram's own expires tends to be.</summary>
    private static readonly TimeSpan ConfigLifetime = TimeSpan.FromHours(1);

    private readonly TlSchema _schema = TlSchema.Testbed;

    /// <summary>Whether <paramref name="request"/> is one of the help functions served here.</summary>
    public static bool Handles(TlObject request) => Handles(request.Combinator);

    /// <summary>Whether <paramref name="function"/> is one of the help functions served here.</summary>
    public static bool Handles(TlCombinator function) => function.Name is "help.getConfig" or "help.getNearestDc";

    /// <summary>The answer to a help function, for a session that declared <paramref name="layer"/> (or none).</summary>
    public TlObject Call(TlObject request, int? layer) => request.Combinator.Name switch
    {
        "help.getNearestDc" => new TlObject(_schema["nearestDc"], "ZZ"u8.ToArray(), dataCenter, dataCenter),
        _ when layer is < FirstLayer or > LastLayer => RpcErrors.LayerInvalid.ToObject(),
        _ => Config(),
    };

    private TlObject Config()
    {
        IPEndPoint tcp = tcpEndpoint();
        DateTimeOffset now = clock.GetUtcNow();
        TlObject option = Build("dcOption", new()
        {
            ["flags"] = 0, ["id"] = dataCenter, ["ip_address"] = Encoding.ASCII.GetBytes(tcp.Address.ToString()), ["port"] = tcp.Port,
        });

        // The limits are the values Telegram's own Config gave at layer 2xx; only this_dc and dc_options describe the server.
        return Build("config", new()
        {
            ["flags"] = 0, ["date"] = (int)now.ToUnixTimeSeconds(), ["expires"] = (int)(now + ConfigLifetime).ToUnixTimeSeconds(),
            ["test_mode"] = false, ["this_dc"] = dataCenter, ["dc_options"] = new object?[] { option }, ["dc_txt_domain_name"] = Array.Empty<byte>(),
            ["chat_size_max"] = 200, ["megagroup_size_max"] = 200_000, ["forwarded_count_max"] = 100,
            ["online_update_period_ms"] = 210_000, ["offline_blur_timeout_ms"] = 5_000, ["offline_idle_timeout_ms"] = 30_000,
            ["online_cloud_timeout_ms"] = 300_000, ["notify_cloud_delay_ms"] = 30_000, ["notify_default_delay_ms"] = 1_500,
            ["push_chat_period_ms"] = 60_000, ["push_chat_limit"] = 2, ["edit_time_limit"] = 172_800, ["revoke_time_limit"] = int.MaxValue,
            ["revoke_pm_time_limit"] = int.MaxValue, ["rating_e_decay"] = 2_419_200, ["stickers_recent_limit"] = 200,
            ["channels_read_media_period"] = 604_800, ["call_receive_timeout_ms"] = 20_000, ["call_ring_timeout_ms"] = 90_000,
            ["call_connect_timeout_ms"] = 30_000, ["call_packet_timeout_ms"] = 10_000, ["me_url_prefix"] = Array.Empty<byte>(),
            ["caption_length_max"] = 1024, ["message_length_max"] = Chat.ChatService.MaxTextLength, ["webfile_dc_id"] = dataCenter,
        });
    }

    // Fields by name; those not given are absent (the optional ones) — the codec refuses a required one left out.
    private TlObject Build(string name, Dictionary<string, object?> fields)
    {
        TlCombinator combinator = _schema[name];
        return new TlObject(combinator, combinator.Parameters.Select(p => fields.GetValueOrDefault(p.Name)).ToArray());
    }
}
