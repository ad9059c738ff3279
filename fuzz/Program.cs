using Testbed.Fuzz.Targets;

// testbed fuzz targets (fuzz/run.sh drives them):
//   list                      the targets
//   run TARGET                under AFL++ (SharpFuzz's fork server reads inputs from AFL)
//   seeds TARGET DIR          writes the seed corpus
//   dict TARGET FILE          writes the AFL dictionary
//   replay TARGET FILE...     runs inputs once, outside AFL (exit 1 on a crash, with the exception)
if (args is ["list"])
{
    foreach (FuzzTarget target in FuzzCatalog.All)
    {
        Console.WriteLine($"{target.Name,-22} {target.Description}");
    }

    return 0;
}

if (args.Length < 2 || FuzzCatalog.Find(args[1]) is not { } chosen)
{
    Console.Error.WriteLine("usage: Testbed.Fuzz (list | run TARGET | seeds TARGET DIR | dict TARGET FILE | replay TARGET FILE...)");
    Console.Error.WriteLine($"targets: {string.Join(", ", FuzzCatalog.All.Select(t => t.Name))}");
    return 2;
}

switch (args[0])
{
    case "run":
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            chosen.Run(memory.ToArray());
        });
        return 0;
    case "seeds" when args.Length == 3:
        Directory.CreateDirectory(args[2]);
        int index = 0;
        foreach (byte[] seed in chosen.Seeds())
        {
            File.WriteAllBytes(Path.Combine(args[2], $"seed-{index++:D3}"), seed);
        }

        return 0;
    case "dict" when args.Length == 3:
        File.WriteAllLines(args[2], chosen.Dictionary().Select((token, i) =>
            $"token_{i}=\"{string.Concat(token.Select(b => $"\\x{b:x2}"))}\""));
        return 0;
    case "replay":
        foreach (string file in args.Skip(2))
        {
            try
            {
                chosen.Run(File.ReadAllBytes(file));
            }
#pragma warning disable CA1031 // replay reports any escaping exception as the crash it is
            catch (Exception e)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"{file}: {e}");
                return 1;
            }
        }

        return 0;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}
