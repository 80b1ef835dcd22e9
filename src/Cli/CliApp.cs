using System.CommandLine;
using GaLore.Cli.Commands;
using GaLore.Planner;

namespace GaLore.Cli;

/// <summary>
/// The <c>galore-plan</c> command line. Exit codes: 0 success, 2 bad input (one line on stderr naming the
/// problem), 1 anything else (also one line, never a stack trace).
/// </summary>
public static class CliApp
{
    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("galore-plan: will this model, with this optimizer, fit on my GPU? Predicts training memory for GaLore and its baselines, and measures it.");
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(GpusCommand.Create());
        return root;
    }

    /// <summary>Parses and runs a command line against the given writers.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = BuildRoot();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"error: {parsed.Errors[0].Message} (see --help)");
            return BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (PlannerInputException e)
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"internal error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
