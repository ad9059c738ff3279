using Microsoft.Extensions.FileProviders;

namespace Testbed.Server;

/// <summary>
/// The browser client (client/ in the repository), copied next to the server's binaries at build time
/// (wwwroot/ in the output; see Testbed.Server.csproj) and served at / from the same origin.
/// </summary>
internal static class ClientFiles
{
    public static IFileProvider Provider { get; } = Create();

    private static IFileProvider Create()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return Directory.Exists(root) ? new PhysicalFileProvider(root) : new NullFileProvider();
    }
}
