using Testbed.Server.Faults;

namespace Testbed.Server;

/// <summary>
/// The server's own command-line words on top of ASP.NET configuration: <c>--list-faults</c> prints the fault
/// profiles and exits; <c>--fault NAME</c> or <c>--fault NAME=VALUE</c> (repeatable) turns one on. Everything else is configuration
/// (<c>--Testbed:TcpEndpoint=…</c>).
/// </summary>
public static class ServerCommandLine
{
    /// <summary>
    /// Runs the server, or answers <c>--list-faults</c>. A start-up failure the user can fix is one line on
    /// <paramref name="error"/>, no stack trace: exit 2 for a wrong setting or an unknown fault, 1 when the machine is in
    /// the way (a port in use, a data directory that cannot be used).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Contains("--list-faults"))
        {
            foreach (FaultProfile fault in FaultCatalog.All)
            {
                string value = fault.Parameter is { } parameter ? $"[={parameter.Unit.ToUpperInvariant()}, {parameter.Min}..{parameter.Max}, default {parameter.Default}]" : "";
                output.WriteLine($"{fault.Name}{value}\n    {fault.Weakness}\n    Reference: {fault.Reference}");
            }

            return 0;
        }

        string[] configuration;
        try
        {
            configuration = TranslateFaults(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }

        WebApplication app;
        try
        {
            app = ServerApp.Build(configuration);
            await ServerApp.StartAsync(app);
        }
        catch (ServerStartupException e)
        {
            error.WriteLine($"error: {e.Message}");
            return e.IsSetting ? 2 : 1;
        }

        await using (app)
        {
            await app.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>Turns each <c>--fault NAME[=VALUE]</c> into <c>--Testbed:Faults:i=NAME[=VALUE]</c>, checking the name and the value.</summary>
    public static string[] TranslateFaults(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>();
        int index = 0;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] != "--fault")
            {
                result.Add(args[i]);
                continue;
            }

            string fault = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--fault needs a name; --list-faults lists them.");
            FaultCatalog.Parse(fault);
            result.Add($"--Testbed:Faults:{index++}={fault}");
        }

        return [.. result];
    }
}
