using System.Diagnostics;

namespace GaLore.Cli.Tests;

/// <summary>Runs the built CLI as a separate process, as a user would.</summary>
public static class ProcessRunner
{
    /// <summary>Path of galore-plan.dll next to the test assembly.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "galore-plan.dll");

    public static (int Exit, string Out, string Err) Run(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // Generous: CI machines share their cores (a smoke validation takes 25 s of CPU but minutes of wall time under load).
        if (!p.WaitForExit(600_000)) { p.Kill(true); throw new TimeoutException("galore-plan did not finish in 10 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
