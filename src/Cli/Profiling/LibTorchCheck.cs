using GaLore.Kernels.Native;
using GaLore.Planner;

namespace GaLore.Cli.Profiling;

/// <summary>
/// Before a command that trains or times anything starts a child process, checks that a complete libtorch can be found
/// where <see cref="TorchNativeLoader"/> will look (the same search, <see cref="LibTorchSearch"/>, without loading it) —
/// so an installed planner-only tool, which ships without libtorch's 461 MB of natives, answers in one line what to do.
/// </summary>
public static class LibTorchCheck
{
    /// <summary>Throws a one-line <see cref="PlannerInputException"/> when no folder holds libtorch.</summary>
    public static void Require(string command)
    {
        var appFolders = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Append(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) ?? "")
            .Append(AppContext.BaseDirectory)
            .Where(f => f.Length > 0)
            .ToList();
        var choice = LibTorchSearch.Choose(LibTorchSearch.LibTorchFolders(Environment.GetEnvironmentVariable, appFolders), File.Exists, Directory.Exists);
        if (choice.Chosen is not null) return;
        throw new PlannerInputException(
            $"{command} needs libtorch {LibTorchSearch.LibTorchPackageVersion} ({string.Join(", ", LibTorchSearch.RequiredLibraries)}) and found none " +
            $"(looked in {string.Join("; ", choice.Rejected)}): set {LibTorchSearch.EnvironmentVariable} to a PyTorch install's torch/lib, or put " +
            $"{LibTorchSearch.LibTorchPackageId} {LibTorchSearch.LibTorchPackageVersion} in the NuGet cache (README: Install)");
    }
}
