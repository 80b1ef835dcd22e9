using GaLore.Cli;

var error = GaLore.Cli.Output.StandardWriters.Error();
int exit = CliApp.Run(args, GaLore.Cli.Output.StandardWriters.Out(), error);
// Diagnostics: list the managed assemblies this run loaded (tests use it to prove planner-only commands
// never load TorchSharp).
if (Environment.GetEnvironmentVariable("GALORE_PLAN_LIST_ASSEMBLIES") == "1")
    foreach (var a in AppDomain.CurrentDomain.GetAssemblies())
        error.WriteLine($"loaded: {a.GetName().Name}");
return exit;
