using System.CommandLine;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Training;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan profile-worker</c> (hidden): reads one profile request (JSON) on stdin, trains and measures it in this
/// process, and prints one result line. <c>profile</c> and <c>validate</c> start it as a child process per
/// configuration, so a crash or an out-of-memory kill costs one row, not the run.
/// </summary>
public static class ProfileWorkerCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var cmd = new Command("profile-worker", "Internal: run one profiling request from stdin (used by profile and validate).") { Hidden = true };
        cmd.SetAction(r => ProfileWorker.Main(Console.In, r.InvocationConfiguration.Output, KernelsOptimizer.Create));
        return cmd;
    }
}
