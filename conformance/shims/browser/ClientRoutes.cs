using Microsoft.Playwright;
using Testbed.Protocol.Tl;

namespace Testbed.Shims.Browser;

/// <summary>
/// Serves the repository's client/ to the page through Playwright's routing, at an origin no server listens on:
/// no web server to start, and nothing of the page's own loading leaves the browser. The schema the client fetches
/// (/schema/testbed.tl) is the reference server's: <see cref="TlSchema.TestbedText"/>. The page's WebSocket to
/// the hostile server is not routed.
/// </summary>
internal static class ClientRoutes
{
    /// <summary>The page's origin (loopback, in case anything escaped the routing).</summary>
    public const string Origin = "http://127.0.0.1";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".wasm"] = "application/wasm",
    };

    /// <summary>Answers every request of the page to <see cref="Origin"/> from disk.</summary>
    public static Task RouteAsync(IPage page) => page.RouteAsync($"{Origin}/**", ServeAsync);

    private static Task ServeAsync(IRoute route)
    {
        string path = new Uri(route.Request.Url).AbsolutePath;
        if (path == "/schema/testbed.tl")
        {
            return route.FulfillAsync(new RouteFulfillOptions { Body = TlSchema.TestbedText, ContentType = "text/plain; charset=utf-8" });
        }

        string root = RepositoryRoot.ClientDirectory;
        string file = Path.GetFullPath(Path.Combine(root, Uri.UnescapeDataString(path).TrimStart('/')));
        if (!file.StartsWith(root, StringComparison.Ordinal) || !File.Exists(file))
        {
            return route.FulfillAsync(new RouteFulfillOptions { Status = 404, Body = $"{path}: not in client/" });
        }

        return route.FulfillAsync(new RouteFulfillOptions
        {
            Path = file,
            ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream"),
        });
    }
}
