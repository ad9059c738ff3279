namespace Testbed.Shims.CSharp;

/// <summary>A usage problem: the shim prints one line naming it and exits 2 (docs/client-shims.md, exit codes).</summary>
internal sealed class UsageException(string message) : Exception(message);
