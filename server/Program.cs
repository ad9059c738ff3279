using Testbed.Server;

await ServerApp.Build(args).RunAsync();
