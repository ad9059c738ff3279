using Testbed.Server;

return await ServerCommandLine.RunAsync(args, Console.Out, Console.Error);
