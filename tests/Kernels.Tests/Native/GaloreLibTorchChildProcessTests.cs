using System.Diagnostics;

namespace GaLore.Kernels.Tests.Native;

/// <summary>
/// The GALORE_LIBTORCH route, checked in child processes (the loader's state is per process):
/// pointing it at the NuGet libtorch folder — a different copy from the one in this app's output
/// folder, as with a PyTorch install — works without loading libtorch_cpu.so twice, and a bogus
/// folder gives a clear error. See <see cref="StartupHook"/>.
/// </summary>
[Collection("torch")]
public sealed class GaloreLibTorchChildProcessTests
{
    private static (int ExitCode, string Output) RunChild(string? galoreLibTorch)
    {
        var testAssembly = typeof(GaloreLibTorchChildProcessTests).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
                   : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
                   : "dotnet";
        var psi = new ProcessStartInfo(dotnet, ["exec", testAssembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(testAssembly)!,
        };
        psi.Environment["DOTNET_STARTUP_HOOKS"] = testAssembly;
        psi.Environment["GALORE_TEST_CHILD"] = "loader";
        if (galoreLibTorch is null) psi.Environment.Remove("GALORE_LIBTORCH");
        else psi.Environment["GALORE_LIBTORCH"] = galoreLibTorch;

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("child process timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void Galore_libtorch_pointing_at_the_nuget_folder_works()
    {
        var folder = NativeTestFiles.LibTorchFolder;
        var (code, output) = RunChild(folder);

        Assert.True(code == 0, $"exit {code}:\n{output}");
        Assert.Contains($"libtorch folder: {folder} (from GALORE_LIBTORCH", output);
        Assert.Contains($"loaded {folder}/libtorch_cpu.so", output);
        Assert.Contains("libtorch_cpu-mapped=1", output);
        // This app's output folder carries its own copy, so TorchSharp's name-based load must be pre-empted.
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorch_cpu.so")))
            Assert.Contains("(SONAME torch_cpu.so)", output);
    }

    [Fact]
    public void Without_galore_libtorch_the_app_folder_is_used()
    {
        var (code, output) = RunChild(null);
        Assert.True(code == 0, $"exit {code}:\n{output}");
        Assert.Contains("(from app folder", output);
        Assert.DoesNotContain("SONAME torch_cpu.so", output);
    }

    [Fact]
    public void Bogus_galore_libtorch_gives_a_clear_error()
    {
        var bogus = Path.Combine(Path.GetTempPath(), "no-such-libtorch-" + Guid.NewGuid().ToString("N"));
        var (code, output) = RunChild(bogus);

        Assert.True(code == 3, $"exit {code}:\n{output}");
        Assert.Contains("no folder holds a complete libtorch", output);
        Assert.Contains($"{bogus} (GALORE_LIBTORCH): folder does not exist", output);
        Assert.Contains("set the environment variable GALORE_LIBTORCH", output);
    }

    [Fact]
    public void Galore_libtorch_without_libtorch_files_names_what_is_missing()
    {
        var folder = NativeTestFiles.NewTempFolder();
        File.WriteAllText(Path.Combine(folder, "libc10.so"), "not really");
        var (code, output) = RunChild(folder);

        Assert.True(code == 3, $"exit {code}:\n{output}");
        Assert.Contains($"{folder} (GALORE_LIBTORCH): missing libtorch_cpu.so, libtorch.so", output);
    }
}
