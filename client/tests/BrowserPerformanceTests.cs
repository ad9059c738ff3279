using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// Measurements in Chromium, written to artifacts/browser/performance.json and the test output: the handshake time
/// (pq factoring and both exponentiations included) and the JS AES-256-IGE throughput on 16 KiB messages. They are
/// reported, not asserted: timing thresholds do not belong in tests.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class BrowserPerformanceTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact]
    public async Task Measure_the_handshake_and_AES_IGE_in_Chromium()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:HandshakeMessagesPerMinute=1000");
        var handshakes = new List<double>();
        IBrowserContext context = await browser.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        for (int i = 0; i < 6; i++)
        {
            await page.GotoAsync(server.HttpBase.ToString());
            await page.WaitForSelectorAsync("[data-testid=status][data-state=connected]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
            handshakes.Add(await page.EvaluateAsync<double>("() => window.testbed.handshakeMs"));
            await page.EvaluateAsync("() => window.testbed.forgetKey()");
        }

        double[] throughput = await page.EvaluateAsync<double[]>("""
            async () => {
              const { AesKey } = await import('/js/aes.js');
              const key = new AesKey(crypto.getRandomValues(new Uint8Array(32)));
              const iv = crypto.getRandomValues(new Uint8Array(32));
              const data = crypto.getRandomValues(new Uint8Array(16384));
              const rate = (decrypt) => {
                const n = 3000, started = performance.now();
                for (let i = 0; i < n; i++) key.ige(decrypt, iv, data);
                return n * 16384 / 1e6 / ((performance.now() - started) / 1000);
              };
              // Steady state: both directions warmed up (the optimizing compiler tiers up over the first seconds).
              for (let round = 0; round < 3; round++) { rate(false); rate(true); }
              return [rate(false), rate(true)];
            }
            """);
        await context.DisposeAsync();

        double[] warm = handshakes.Skip(1).Order().ToArray(); // the first includes loading and compiling the modules
        var result = new
        {
            handshakeMsFirst = handshakes[0],
            handshakeMsMedian = warm[warm.Length / 2],
            handshakeMsAll = handshakes,
            aesIge16KiBEncryptMBps = throughput[0],
            aesIge16KiBDecryptMBps = throughput[1],
        };
        string json = JsonSerializer.Serialize(result, Indented);
        await File.WriteAllTextAsync(Path.Combine(BrowserFixture.ArtifactsDirectory, "performance.json"), json);
        output.WriteLine(json);
        Assert.All(handshakes, ms => Assert.True(ms > 0));
    }
}
