using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Testbed.Shims.Browser;

/// <summary>
/// One run: Debian's Chromium (as client/tests/BrowserFixture.cs launches it) opens client/conformance.html with the
/// run in its address; the page's "SHIM-EVENT {json}" console lines go to standard output as they come. The run ends
/// when the page reports <c>closed</c>, or at the deadline (then the shim closes the browser and says <c>closed</c>).
/// </summary>
internal static class PageRun
{
    /// <summary>What the page can run (docs/client-shims.md --describe), the preferred first.</summary>
    public static readonly IReadOnlyList<string> Transports = ["ws/obfuscated-intermediate", "ws/intermediate"];

    private const string ChromiumPath = "/usr/bin/chromium";
    private const string EventPrefix = "SHIM-EVENT ";

    /// <summary>
    /// A page fulfilled by routing has no address of its own, so Chromium's Local Network Access checks count it as
    /// public and block its WebSocket to the loopback server (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
    /// </summary>
    private const string LocalNetworkAccess = "--disable-features=LocalNetworkAccessChecks";

    /// <summary>Runs the scenario; returns the exit code (0: the scenario ran to its end, whatever it reported).</summary>
    public static async Task<int> RunAsync(ShimArguments arguments)
    {
        var clock = Stopwatch.StartNew();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", LocalNetworkAccess],
        });
        IPage page = await browser.NewPageAsync();
        await ClientRoutes.RouteAsync(page);
        page.Console += (_, message) => Relay(message.Text, closed, clock);
        await page.GotoAsync(PageAddress(arguments));

        if (await Task.WhenAny(closed.Task, Task.Delay(arguments.Deadline)) != closed.Task)
        {
            await Console.Error.WriteLineAsync($"browser-shim: no 'closed' from the page within {arguments.Deadline.TotalSeconds} s; closing the browser");
            ShimOutput.Write(new Dictionary<string, string> { ["event"] = "closed" });
        }

        return 0;
    }

    private static void Relay(string text, TaskCompletionSource closed, Stopwatch clock)
    {
        if (!text.StartsWith(EventPrefix, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"page: {text}");
            return;
        }

        string json = text[EventPrefix.Length..];
        string? name = JsonDocument.Parse(json).RootElement.GetProperty("event").GetString();
        if (name == "start")
        {
            Console.Error.WriteLine($"browser-shim: the page started {clock.ElapsedMilliseconds} ms after the shim did");
        }

        ShimOutput.WriteLine(json);
        if (name == "closed")
        {
            closed.TrySetResult();
        }
    }

    /// <summary>client/conformance.html with the run in its address (the key as base64url PEM text; faults repeated).</summary>
    private static string PageAddress(ShimArguments arguments)
    {
        string key = Convert.ToBase64String(File.ReadAllBytes(arguments.RsaKeyFile)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var query = new List<(string Name, string Value)>
        {
            ("host", arguments.Host),
            ("port", arguments.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("framing", arguments.Framing),
            ("rsa-key", key),
            ("dc", arguments.Dc.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("scenario", string.Join(',', arguments.Steps)),
            ("step-seconds", arguments.StepSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        query.AddRange(arguments.Faults.Select(f => ("fault", f)));
        var address = new StringBuilder($"{ClientRoutes.Origin}/conformance.html?");
        address.AppendJoin('&', query.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
        return address.ToString();
    }
}
