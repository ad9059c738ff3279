namespace Testbed.Shims.Browser;

/// <summary>A command line the shim cannot run (docs/client-shims.md: exit 2 with one clear line).</summary>
internal sealed class ShimUsageException(string message) : Exception(message);
