using System.Security.Cryptography;
using System.Text;

namespace Testbed.Server.Cluster;

/// <summary>
/// A Lua script the nodes run in Redis: one atomic step, one round trip. Sent by its SHA-1 (EVALSHA); a Redis that
/// does not know it yet (new, or restarted empty) answers NOSCRIPT, and the script is sent whole (EVAL), which also
/// caches it.
/// </summary>
internal sealed class RedisScript(string text)
{
    private readonly string _sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A script embedded in the server assembly under server/Cluster.</summary>
    public static RedisScript Embedded(string fileName)
    {
        using Stream stream = typeof(RedisScript).Assembly.GetManifestResourceStream($"Testbed.Server.Cluster.{fileName}")
            ?? throw new InvalidOperationException($"{fileName} is not embedded in the server assembly.");
        using var reader = new StreamReader(stream);
        return new RedisScript(reader.ReadToEnd());
    }

    /// <summary>Runs the script: <paramref name="keys"/> are its KEYS, <paramref name="arguments"/> its ARGV.</summary>
    /// <exception cref="RespErrorException">The script failed.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    public string? Run(RespConnection connection, string[] keys, params string[] arguments)
    {
        string count = keys.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            return connection.Call(["EVALSHA", _sha, count, .. keys, .. arguments]);
        }
        catch (RespErrorException e) when (e.Kind == "NOSCRIPT")
        {
            return connection.Call(["EVAL", text, count, .. keys, .. arguments]);
        }
    }
}
