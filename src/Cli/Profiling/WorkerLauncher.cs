using GaLore.Profiler.Measurement;

namespace GaLore.Cli.Profiling;

/// <summary>Starts profiling workers as this same program (<c>galore-plan profile-worker</c>) in a child process.</summary>
public static class WorkerLauncher
{
    /// <summary>The worker's command line: this app host when we run as one, else <c>dotnet galore-plan.dll</c>
    /// (also when hosted by a test runner).</summary>
    public static WorkerCommand Command(TimeSpan timeout)
    {
        string dll = typeof(WorkerLauncher).Assembly.Location;
        string? host = Environment.ProcessPath;
        if (host is not null && Path.GetFileName(host) == Path.GetFileNameWithoutExtension(dll))
            return new WorkerCommand(host, ["profile-worker"]) { Timeout = timeout };
        string dotnet = host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        return new WorkerCommand(dotnet, [dll, "profile-worker"]) { Timeout = timeout };
    }
}
