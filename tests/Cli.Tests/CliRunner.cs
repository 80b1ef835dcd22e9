using GaLore.Cli;

namespace GaLore.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
public static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
