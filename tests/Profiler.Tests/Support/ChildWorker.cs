using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Tests.Support;

/// <summary>Builds <see cref="WorkerCommand"/>s that run this test assembly as a child process (see StartupHook).</summary>
public static class ChildWorker
{
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    public static WorkerCommand Command(string mode, TimeSpan? timeout = null)
    {
        var assembly = typeof(ChildWorker).Assembly.Location;
        var env = WorkerEnvironment.Defaults.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        env["DOTNET_STARTUP_HOOKS"] = assembly;
        env[StartupHook.Variable] = mode;
        return new WorkerCommand(Dotnet, ["exec", assembly])
        {
            Environment = env,
            Timeout = timeout ?? TimeSpan.FromSeconds(120),
            WorkingDirectory = Path.GetDirectoryName(assembly),
        };
    }
}
