using GaLore.Cli;

int exit = CliApp.Run(args, Console.Out, Console.Error);
// Diagnostics: list the managed assemblies this run loaded (tests use it to prove planner-only commands
// never load TorchSharp).
if (Environment.GetEnvironmentVariable("GALORE_PLAN_LIST_ASSEMBLIES") == "1")
    foreach (var a in AppDomain.CurrentDomain.GetAssemblies())
        Console.Error.WriteLine($"loaded: {a.GetName().Name}");
return exit;
