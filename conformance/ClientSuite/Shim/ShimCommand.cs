namespace Testbed.Conformance.ClientSuite.Shim;

/// <summary>
/// The shim's command line as the user gave it (<c>--shim "dotnet path/csharp-shim.dll --fault x"</c>): a program and
/// its own arguments, split like a POSIX shell splits words (single and double quotes, no expansion).
/// </summary>
internal sealed record ShimCommand(string Program, IReadOnlyList<string> Arguments, string Text)
{
    public static ShimCommand Parse(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quote != '\0')
        {
            throw new FormatException($"--shim: unclosed {quote} in '{text}'");
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count == 0 ? throw new FormatException("--shim is empty") : new ShimCommand(words[0], words[1..], text);
    }
}
