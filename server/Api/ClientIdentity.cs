using System.Text;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Api;

/// <summary>
/// What a client says of itself in initConnection (docs/protocol.md §9.1): its api_id and its app, device, system and
/// language strings, kept per session for the security log. Each string is cut to <see cref="MaxLength"/> characters
/// and has its control characters replaced, so a client cannot grow the server's memory or forge log lines with it.
/// </summary>
internal sealed record ClientIdentity(int ApiId, string DeviceModel, string SystemVersion, string AppVersion, string SystemLangCode,
    string LangPack, string LangCode)
{
    /// <summary>The most characters kept of each string: more than any real client's (gramjs sends os.type() and os.release()).</summary>
    public const int MaxLength = 64;

    /// <summary>The identity an initConnection carries.</summary>
    public static ClientIdentity From(TlObject initConnection) => new(
        initConnection.Get<int>("api_id"), Text(initConnection, "device_model"), Text(initConnection, "system_version"),
        Text(initConnection, "app_version"), Text(initConnection, "system_lang_code"), Text(initConnection, "lang_pack"), Text(initConnection, "lang_code"));

    /// <summary>One line for the security log.</summary>
    public string Describe(int? layer) =>
        $"layer {(layer is { } l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "not declared")}, api_id {ApiId}, app \"{AppVersion}\", "
        + $"device \"{DeviceModel}\", system \"{SystemVersion}\", lang {SystemLangCode}/{LangPack}/{LangCode}";

    private static string Text(TlObject value, string field)
    {
        string text = Encoding.UTF8.GetString(value.Get<byte[]>(field));
        text = text.Length > MaxLength ? text[..MaxLength] : text;
        return string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));
    }
}
