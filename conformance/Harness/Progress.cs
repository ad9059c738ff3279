using System.Diagnostics;

namespace Testbed.Conformance.Harness;

/// <summary>
/// A run's progress on standard error. On a terminal one line is rewritten in place (<c>\r</c>); anywhere else
/// (a CI log, a file) a carriage return would pile every update onto one line, so a plain line is written at most
/// every <see cref="LogInterval"/>, and none for a run shorter than that.
/// </summary>
internal sealed class Progress(TextWriter error, bool terminal, int total, string noun)
{
    /// <summary>How often a redirected run says how far it got.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Whether the process's standard error is a terminal; set once by <see cref="Program.Main"/>, false for in-process runs.</summary>
    public static bool ErrorIsTerminal { get; set; }

    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private bool _rewrote;

    /// <summary>One more item finished; <paramref name="what"/> names it ("HSK-003 Pass").</summary>
    public void Advance(string what)
    {
        lock (_lock)
        {
            _done++;
            if (terminal)
            {
                error.Write($"\r{_done}/{total} {noun} ({what})".PadRight(60));
                _rewrote = true;
            }
            else if (_sinceLine.Elapsed >= LogInterval && _done < total)
            {
                error.WriteLine($"{_done}/{total} {noun} done");
                _sinceLine.Restart();
            }
        }
    }

    /// <summary>Ends the rewritten line, if there is one.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_rewrote)
            {
                error.WriteLine();
            }
        }
    }
}
