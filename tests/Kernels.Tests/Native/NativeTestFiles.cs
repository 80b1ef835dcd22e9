using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>Locations of the real native files the tests read (never write): the restored NuGet packages.</summary>
internal static class NativeTestFiles
{
    public static string NuGetRoot =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The folder holding libc10.so, libtorch_cpu.so, libtorch.so from the libtorch-cpu-linux-x64 package.</summary>
    public static string LibTorchFolder =>
        Path.Combine(NuGetRoot, LibTorchSearch.LibTorchPackageId, LibTorchSearch.LibTorchPackageVersion, "runtimes", "linux-x64", "native");

    /// <summary>The original, unpatched libLibTorchSharp.so from the torchsharp package.</summary>
    public static string LibTorchSharp =>
        Path.Combine(NuGetRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", LibTorchSearch.LibTorchSharpFile);

    private static readonly List<string> TempFolders = [];

    static NativeTestFiles() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (TempFolders)
            foreach (var dir in TempFolders)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    };

    /// <summary>A fresh, empty temp folder for one test, deleted when the test process exits.</summary>
    public static string NewTempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "galore-native-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        lock (TempFolders) TempFolders.Add(dir);
        return dir;
    }

    /// <summary>A private copy of <paramref name="source"/> in a fresh temp folder.</summary>
    public static string CopyToTemp(string source)
    {
        var copy = Path.Combine(NewTempFolder(), Path.GetFileName(source));
        File.Copy(source, copy);
        return copy;
    }
}
