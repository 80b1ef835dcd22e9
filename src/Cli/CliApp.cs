using System.CommandLine;
using GaLore.Cli.Commands;
using GaLore.Planner;

namespace GaLore.Cli;

/// <summary>
/// The <c>galore-plan</c> command line. Exit codes: 0 success (for <c>fit</c>: it fits), 1 the answer is no (<c>fit</c>:
/// it does not fit; <c>profile</c>: the measured run failed), 2 bad input (one line on stderr naming the problem), 3 an
/// internal error (also one line, never a stack trace).
/// </summary>
public static class CliApp
{
    /// <summary>Exit code of <c>fit</c> when the configuration does not fit, and of a run that failed.</summary>
    public const int No = 1;

    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a defect of this program (reported in one line).</summary>
    public const int InternalError = 3;

    const string Description =
        "galore-plan: will this model, with this optimizer, fit on my GPU? Predicts training memory for GaLore and its baselines, and measures it.";

    /// <summary>A subcommand: name, one-line summary, factory (a class, not a tuple: generic code over a value type is not
    /// precompiled and would be JIT-compiled at every start-up).</summary>
    sealed record Entry(string Name, string Summary, Func<Command> Create);

    /// <summary>Every subcommand. Only the invoked one is built in full.</summary>
    static readonly Entry[] Commands =
    [
        new("fit", "Predict whether a training configuration fits a GPU, with a breakdown and what to change", FitCommand.Create),
        new("models", "List model presets, or describe a config.json", ModelsCommand.Create),
        new("gpus", "List the GPU catalogue", GpusCommand.Create),
        new("bench-planner", "Measure the planner's configurations per second", BenchPlannerCommand.Create),
        new("bench-kernels", "Time the kernels: GaLore and APOLLO vs AdamW step, 8-bit vs 32-bit, SVD vs randomized vs APOLLO's Gaussian refresh", BenchKernelsCommand.Create),
        new("profile", "Train one configuration for a few steps, measure its peak and compare with the prediction", ProfileCommand.Create),
        new("validate", "Measure a matrix of configurations against the planner; CSV, charts and summary", ValidateCommand.Create),
        new("profile-worker", "Internal: one profiling run from stdin", ProfileWorkerCommand.Create),
        new("doctor", "Check that TorchSharp and libtorch load and compute correctly (cpu or cuda)", DoctorCommand.Create),
        new("report", "Write a capacity report (Markdown, HTML, charts, CSV) for GPUs × models × optimizers", ReportCommand.Create),
        new("sweep", "Evaluate a grid of rank × batch × seq and report which axis reaches the GPU's limit first", SweepCommand.Create),
        new("compare-snapshot", "Compare a PyTorch memory snapshot of your own run with the planner's prediction and timeline", CompareSnapshotCommand.Create),
        new("tune", "Recommend GaLore's rank and update_proj_gap from planner memory, measured refresh times and proxy training", TuneCommand.Create),
    ];

    /// <summary>Builds the root command. Subcommands other than <paramref name="only"/> are stubs with their
    /// summary (enough for the root's --help); null builds all of them.</summary>
    public static RootCommand BuildRoot(string? only = null)
    {
        var root = new RootCommand(Description);
        AddCommands(root, only);
        return root;
    }

    /// <summary>
    /// The root for a command line that asks for no help, version or directive: a plain command without
    /// System.CommandLine's help and version options. Their constructors read localized descriptions through a
    /// ResourceManager (culture data, resource lookup), which cost 6–9 ms of the 84 ms <c>fit</c> start-up measured here;
    /// a line with any of those tokens gets <see cref="BuildRoot"/>'s full root.
    /// </summary>
    static Command BuildLeanRoot(string only)
    {
        var root = new Command(RootCommand.ExecutableName, Description);
        AddCommands(root, only);
        return root;
    }

    static void AddCommands(Command root, string? only)
    {
        foreach (var (name, summary, create) in Commands)
            root.Subcommands.Add(only is null || only == name ? create() : new Command(name, summary) { Hidden = name == "profile-worker" });
    }

    /// <summary>Tokens that System.CommandLine's root options and directives answer (help, version, <c>[suggest]</c>).</summary>
    static bool NeedsFullRoot(string[] args)
    {
        foreach (var a in args)
            if (a is "-h" or "--help" or "-?" or "/h" or "/?" or "--version" || a.StartsWith('[')) return true;
        return false;
    }

    /// <summary>Parses and runs a command line against the given writers.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? first = args.Length > 0 && IsCommand(args[0]) ? args[0] : null;
        if (first is null && CommandLineChecks.UnknownCommand(args, PublicCommandNames()) is { } unknown)
        {
            error.WriteLine($"error: {unknown}");
            return BadInput;
        }
        bool full = first is null || NeedsFullRoot(args);
        Options.HelpText.Wanted = full;
        var parsed = (full ? BuildRoot(first ?? "") : BuildLeanRoot(first!)).Parse(args);
        if (CommandLineChecks.Problem(parsed) is { } problem)
        {
            error.WriteLine($"error: {problem}");
            return BadInput;
        }
        try
        {
            Reports.AtomicFile.BeginSession();
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (PlannerInputException e)
        {
            error.WriteLine(InputLine(e));
            return BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine(InputLine(e));
            return BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return InternalError;
        }
    }

    static bool IsCommand(string name)
    {
        foreach (var c in Commands)
            if (c.Name == name) return true;
        return false;
    }

    static string[] PublicCommandNames()
    {
        var names = new List<string>();
        foreach (var (name, _, _) in Commands)
            if (name != "profile-worker") names.Add(name);
        return names.ToArray();
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");

    /// <summary>The error line for an exception of the input kinds, with the message on one line.</summary>
    static string InputLine(Exception e) => "error: " + OneLine(e.Message);
}
