namespace Testbed.Conformance.Interop;

/// <summary>
/// Server work of issue 14 that some cells need and that may not have landed where the matrix runs: a step that
/// needs a piece named in <c>interop run --pending</c> is run and reported but not judged.
/// </summary>
internal static class ServerWork
{
    /// <summary>rpc_error for unknown methods, invokeWithLayer / initConnection and the other wrappers, help.getConfig and help.getNearestDc, the setting AcceptLegacyRsa.</summary>
    public const string Api = "api";

    /// <summary>The obfuscated ("obfuscated2") transports, on TCP and /apiws.</summary>
    public const string Obfuscation = "obf";

    /// <summary>Every piece, for usage lines.</summary>
    public static IReadOnlyList<string> All { get; } = [Api, Obfuscation];
}
