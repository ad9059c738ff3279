namespace Testbed.Server;

/// <summary>
/// A reason the server cannot start that the user can fix: a setting that does not parse, a data directory it cannot
/// use, an endpoint it cannot listen on. The message is one line naming what, where and the setting to change;
/// <see cref="ServerCommandLine"/> prints it instead of a stack trace.
/// </summary>
internal sealed class ServerStartupException : Exception
{
    /// <summary>Creates the exception with its one-line <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong, where, and the setting to change.</param>
    /// <param name="isSetting">Whether a setting's value is wrong (exit 2) rather than the machine's state (exit 1).</param>
    /// <param name="inner">The failure it explains.</param>
    public ServerStartupException(string message, bool isSetting, Exception? inner = null)
        : base(message, inner)
    {
        IsSetting = isSetting;
    }

    /// <summary>A setting's value is wrong (exit 2), rather than the machine's state, such as a busy port (exit 1).</summary>
    public bool IsSetting { get; }
}
