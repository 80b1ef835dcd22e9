using System.ComponentModel;
using System.Diagnostics;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// How to start a profiling worker: an executable, its arguments and environment (e.g.
/// <c>dotnet galore-plan.dll profile-worker</c>). The request is written to the worker's stdin.
/// </summary>
/// <param name="FileName">Executable to run.</param>
/// <param name="Arguments">Its arguments.</param>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables set (a null value removes one) on top of this process's environment;
    /// <see cref="WorkerEnvironment.Defaults"/> by default.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } =
        WorkerEnvironment.Defaults.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);

    /// <summary>Longest time the worker may run before it is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Working directory (null: this process's).</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// Runs each profile in a fresh child process, so that a crash, an out-of-memory kill or a hang costs one row of a
/// sweep and not the sweep: every outcome becomes a <see cref="ProfileResult"/>, never an exception.
/// </summary>
public static class ChildProcessRunner
{
    const int StderrTailChars = 4000;

    /// <summary>Starts the worker, sends <paramref name="request"/>, waits (up to the command's timeout) and returns
    /// the worker's result line — or a failed row saying why there is none.</summary>
    public static ProfileResult Run(WorkerCommand command, ProfileRequest request)
    {
        var psi = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Arguments) psi.ArgumentList.Add(a);
        if (command.WorkingDirectory is { } dir) psi.WorkingDirectory = dir;
        foreach (var (name, value) in command.Environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or FileNotFoundException)
        {
            return ProfileResult.Failure(request, $"could not start worker '{command.FileName}': {e.Message}");
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.Write(ProfileJson.Serialize(request));
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The worker exited before reading its request; its exit code tells why.
        }

        bool finished = process.WaitForExit(command.Timeout);
        if (!finished)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        else process.WaitForExit(); // drain redirected streams
        string output = stdout.GetAwaiter().GetResult(), errors = stderr.GetAwaiter().GetResult();
        int code = process.ExitCode;
        string tail = errors.Length > StderrTailChars ? errors[^StderrTailChars..] : errors;
        double elapsed = Math.Round(clock.Elapsed.TotalSeconds, 3);

        if (!finished)
            return ProfileResult.Failure(request, $"timed out after {command.Timeout.TotalSeconds:0.#} s; worker killed")
                with { ExitCode = code, StderrTail = tail, ElapsedSeconds = elapsed };
        var parsed = ProfileJson.FindResult(output);
        if (parsed is not null)
        {
            var row = parsed with { ExitCode = code, StderrTail = parsed.Ok && code == 0 ? null : tail };
            return code != 0 && row.Error is null ? row with { Error = DescribeExit(code) } : row;
        }
        return ProfileResult.Failure(request, DescribeExit(code) + LastLine(tail)) with { ExitCode = code, StderrTail = tail, ElapsedSeconds = elapsed };
    }

    /// <summary>Explains an exit code (Unix shells and .NET report death by signal N as 128 + N).</summary>
    public static string DescribeExit(int code) => code switch
    {
        0 => "worker exited normally but wrote no result line",
        137 => "worker was killed by SIGKILL (exit code 137): most likely out of memory (the kernel's OOM killer), or killed externally",
        134 => "worker aborted (SIGABRT, exit code 134): a native library failed (libtorch check, C++ exception, or double free)",
        139 => "worker crashed with a segmentation fault (SIGSEGV, exit code 139)",
        143 => "worker was terminated (SIGTERM, exit code 143)",
        > 128 and < 160 => $"worker died from signal {code - 128} (exit code {code})",
        _ => $"worker exited with code {code}",
    };

    static string LastLine(string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return string.IsNullOrEmpty(line) ? "" : $"; stderr: {line}";
    }
}
