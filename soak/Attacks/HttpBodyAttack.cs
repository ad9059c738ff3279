using System.Net.Sockets;
using System.Text;

namespace Testbed.Soak.Attacks;

/// <summary>
/// POST /api requests whose bodies the server must refuse (issue 13, finding 4): a body that stops arriving (408) and
/// a chunked body past the 1 MiB packet limit (413). The client got the right status, but the server printed "An
/// unhandled exception was thrown by the application" and a 1.7 KB stack trace for each: its output must have none.
/// </summary>
internal sealed class HttpBodyAttack(string name, string what, int status, Func<byte[]> request) : IAttack
{
    private const int Concurrency = 10;
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(30);

    /// <summary>Content-Length 1 000, ten bytes sent, then nothing.</summary>
    public static HttpBodyAttack SlowBody() => new("http-slow-body", "POST /api body stalled after 10 of 1 000 bytes", 408,
        () => [.. Head("Content-Length: 1000"), .. new byte[10]]);

    /// <summary>Chunks of 64 KiB to 1 MiB + 64 KiB, then the last chunk.</summary>
    public static HttpBodyAttack ChunkedOverLimit() => new("http-chunked-over-limit", "POST /api chunked body of 1 MiB + 64 KiB", 413, () =>
    {
        const int chunk = 64 * 1024, chunks = 17;
        byte[] sizeLine = Encoding.ASCII.GetBytes($"{chunk:x}\r\n");
        IEnumerable<byte> body = Enumerable.Repeat(0, chunks).SelectMany(_ => sizeLine.Concat(new byte[chunk]).Concat("\r\n"u8.ToArray()));
        return [.. Head("Transfer-Encoding: chunked"), .. body, .. "0\r\n\r\n"u8];
    });

    public string Name => name;

    public bool IsSlowloris => false;

    public string Size(SoakScale scale) => $"{scale.HttpSlowBodies:N0} × {what}";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        int count = context.Scale.HttpSlowBodies;
        var statuses = new System.Collections.Concurrent.ConcurrentBag<string>();
        byte[] bytes = request();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
            async (_, _) => statuses.Add(await SendAsync(context, bytes, cancel)));
        string expected = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] wrong = [.. statuses.Where(s => s != expected).Distinct()];
        context.Check(wrong.Length == 0, $"answers {string.Join(", ", wrong)}, not {expected}");
        context.Note($"{statuses.Count(s => s == expected)} of {count} answered {expected}");
    }

    public void JudgeAfterStop(AttackContext context)
    {
        string[] traces = [.. context.Server.Output.Where(l => l.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase)
            || l.StartsWith("   at ", StringComparison.Ordinal))];
        context.Check(traces.Length == 0, $"{traces.Length} unhandled-exception / stack lines printed");
    }

    private static byte[] Head(string bodyHeader) =>
        Encoding.ASCII.GetBytes($"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n{bodyHeader}\r\n\r\n");

    /// <summary>Sends the request and returns the status of the answer ("none" when there is none in time).</summary>
    private static async Task<string> SendAsync(AttackContext context, byte[] request, CancellationToken cancel)
    {
        using Socket? socket = await AttackSockets.ConnectAsync(AttackSockets.First, context.Server.HttpPort, cancel);
        if (socket is null)
        {
            return "not accepted";
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        patience.CancelAfter(AnswerPatience);
        try
        {
            Task<string> answer = StatusAsync(socket, patience.Token);
            try
            {
                await socket.SendAsync(request, SocketFlags.None, patience.Token);
            }
            catch (SocketException)
            {
                // The server answered and closed before reading the whole body: the answer is what counts.
            }

            return await answer;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return "none";
        }
    }

    private static async Task<string> StatusAsync(Socket socket, CancellationToken cancel)
    {
        byte[] buffer = new byte[4096];
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
        string head = Encoding.ASCII.GetString(buffer, 0, read);
        return head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12 ? head[9..12] : "none";
    }
}
