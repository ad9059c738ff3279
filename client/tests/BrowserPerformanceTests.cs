using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// Measurements in Chromium, written to artifacts/browser/performance.json and the test output: the handshake time
/// (pq factoring and both exponentiations included), and AES-256 on 16 KiB messages for every contender of
/// client/bench/ige-contenders.mjs (this client's IGE in JS and in WebAssembly, @cryptography/aes's IGE, WebCrypto
/// AES-CBC) in one page and run. Each throughput figure comes with the CPU time Chromium reports for it
/// (CDP Performance.getMetrics), so a busy machine shows as CPU figures far above the wall-clock ones.
/// The figures are reported, not asserted: timing thresholds do not belong in tests.
/// </summary>
/// <remarks>
/// Runs alone: its own collection with parallelization disabled (after the other browser tests, not beside them),
/// and the Performance category, which ./test.sh leaves out of the main run and runs by itself afterwards, so no
/// other test project shares the cores (docs/browser-crypto.md).
/// </remarks>
[Collection(PerformanceBrowser.Name)]
[Trait("Category", "Performance")]
public sealed class BrowserPerformanceTests(BrowserFixture browser, ITestOutputHelper output)
{
    private const int MessageBytes = 16384;
    private const double SecondsPerFigure = 1.5;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(BrowserFixture.ArtifactsDirectory, "..", ".."));

    /// <summary>The benchmark's modules, served at /bench/ from the repository (neither is part of the client).</summary>
    private static readonly Dictionary<string, string> BenchFiles = new()
    {
        ["/bench/ige-contenders.mjs"] = Path.Combine(RepositoryRoot, "client", "bench", "ige-contenders.mjs"),
        ["/bench/cryptography-aes.js"] = Path.Combine(RepositoryRoot, "client", "node_modules", "@cryptography", "aes", "dist", "es", "aes.js"),
        ["/bench/page.html"] = Path.Combine(RepositoryRoot, "client", "bench", "page.html"),
    };

    [Fact]
    public async Task Measure_the_handshake_and_AES_in_Chromium()
    {
        string loadBefore = LoadAverage();
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=1000");
        IBrowserContext context = await browser.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        List<double> handshakes = await MeasureHandshakesAsync(page, server);

        await page.RouteAsync("**/bench/*", route => BenchFiles.TryGetValue(new Uri(route.Request.Url).AbsolutePath, out string? file)
            ? route.FulfillAsync(new RouteFulfillOptions { Path = file, ContentType = file.EndsWith(".html", StringComparison.Ordinal) ? "text/html" : "text/javascript" })
            : route.FallbackAsync());
        await page.GotoAsync(new Uri(server.HttpBase, "/bench/page.html").ToString());
        JsonElement setup = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const aes = await import('/js/aes.js');
              const { IGE } = await import('/bench/cryptography-aes.js');
              const bench = await import('/bench/ige-contenders.mjs');
              const contenders = await bench.makeContenders({ aes, CryptographyIge: IGE, crypto });
              window.igeBench = { run: (name, direction, count) => bench.runMessages(contenders[name], direction, count) };
              return { names: Object.keys(contenders), wasmUnavailable: aes.wasmUnavailable };
            }
            """);
        Assert.Equal(JsonValueKind.Null, setup.GetProperty("wasmUnavailable").ValueKind);
        string[] names = setup.GetProperty("names").EnumerateArray().Select(name => name.GetString()!).ToArray();

        ICDPSession cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Performance.enable");
        var contenders = new List<object>();
        for (int round = 0; round < 3; round++)
        {
            foreach (string name in names)
            {
                await RunAsync(page, name, "encrypt", 200);
                await RunAsync(page, name, "decrypt", 200);
            }
        }

        foreach (string name in names)
        {
            contenders.Add(new
            {
                name,
                encrypt = await MeasureAsync(page, cdp, name, "encrypt"),
                decrypt = await MeasureAsync(page, cdp, name, "decrypt"),
            });
        }

        await context.DisposeAsync();
        double[] warm = handshakes.Skip(1).Order().ToArray(); // the first includes loading and compiling the modules
        var result = new
        {
            chromium = browser.Browser.Version,
            loadAverageBefore = loadBefore,
            loadAverageAfter = LoadAverage(),
            handshakeMsFirst = handshakes[0],
            handshakeMsMedian = warm[warm.Length / 2],
            handshakeMsAll = handshakes,
            aes256MessageBytes = MessageBytes,
            aes256 = contenders,
        };
        string json = JsonSerializer.Serialize(result, Indented);
        await File.WriteAllTextAsync(Path.Combine(BrowserFixture.ArtifactsDirectory, "performance.json"), json);
        output.WriteLine(json);
        Assert.All(handshakes, ms => Assert.True(ms > 0));
    }

    private static async Task<List<double>> MeasureHandshakesAsync(IPage page, RunningServer server)
    {
        var handshakes = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            await page.GotoAsync(server.HttpBase.ToString());
            await page.WaitForSelectorAsync("[data-testid=status][data-state=connected]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
            handshakes.Add(await page.EvaluateAsync<double>("() => window.testbed.handshakeMs"));
            await page.EvaluateAsync("() => window.testbed.forgetKey()");
        }

        return handshakes;
    }

    /// <summary>Runs `count` messages one after another in the page; the page's wall-clock milliseconds.</summary>
    private static Task<double> RunAsync(IPage page, string name, string direction, int count) =>
        page.EvaluateAsync<double>("([name, direction, count]) => window.igeBench.run(name, direction, count)", new object[] { name, direction, count });

    /// <summary>
    /// About <see cref="SecondsPerFigure"/> of messages; MB/s over the page's wall-clock time, over the page thread's
    /// CPU time (ThreadTime) and over the renderer process's (ProcessTime: WebCrypto works off the page thread).
    /// </summary>
    private static async Task<object> MeasureAsync(IPage page, ICDPSession cdp, string name, string direction)
    {
        int count = Math.Max(50, (int)(SecondsPerFigure * 1000 / (await RunAsync(page, name, direction, 50) / 50)));
        Dictionary<string, double> before = await MetricsAsync(cdp);
        double wallMs = await RunAsync(page, name, direction, count);
        Dictionary<string, double> after = await MetricsAsync(cdp);
        double megabytes = (double)count * MessageBytes / 1e6;
        double Rate(double seconds) => Math.Round(megabytes / seconds, 1);
        return new
        {
            messages = count,
            wallMBps = Rate(wallMs / 1000),
            threadCpuMBps = Rate(after["ThreadTime"] - before["ThreadTime"]),
            processCpuMBps = Rate(after["ProcessTime"] - before["ProcessTime"]),
        };
    }

    private static async Task<Dictionary<string, double>> MetricsAsync(ICDPSession cdp)
    {
        JsonElement? reply = await cdp.SendAsync("Performance.getMetrics");
        Dictionary<string, double> metrics = reply!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(metric => metric.GetProperty("name").GetString()!, metric => metric.GetProperty("value").GetDouble());
        foreach (string needed in new[] { "ThreadTime", "ProcessTime" })
        {
            if (!metrics.ContainsKey(needed))
            {
                throw new InvalidOperationException($"Performance.getMetrics has no {needed} in this Chromium; it reported: {string.Join(", ", metrics.Keys)}");
            }
        }

        return metrics;
    }

    /// <summary>The 1, 5 and 15 minute load averages, to tell a quiet machine's figures from a busy one's.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}

/// <summary>
/// The performance tests: their own Chromium, and never in parallel with another collection of this assembly.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PerformanceBrowser : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser performance";
}
