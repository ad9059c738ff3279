using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Testbed.Conformance.ClientSuite.Cases;

/// <summary>
/// The bad primes of vectors/mtproto2_dh_params.json (embedded in the tool), read by vector id: the handshake cases
/// send the same values the vector tests check, so both stay one source of truth.
/// </summary>
internal static class DhVectors
{
    private static readonly Lazy<Dictionary<string, BigInteger>> Primes = new(Load);

    public static BigInteger Prime(string id) =>
        Primes.Value.TryGetValue(id, out BigInteger prime) ? prime : throw new InvalidOperationException($"no dhPrime vector '{id}'");

    private static Dictionary<string, BigInteger> Load()
    {
        using Stream stream = typeof(DhVectors).Assembly.GetManifestResourceStream("mtproto2_dh_params.json")
            ?? throw new InvalidOperationException("the embedded mtproto2_dh_params.json is missing");
        using JsonDocument document = JsonDocument.Parse(stream);
        var primes = new Dictionary<string, BigInteger>();
        foreach (JsonElement group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                if (test.TryGetProperty("dhPrime", out JsonElement hex))
                {
                    primes[test.GetProperty("id").GetString()!] = BigInteger.Parse("0" + hex.GetString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }
        }

        return primes;
    }
}
