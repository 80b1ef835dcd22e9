using System.Diagnostics;
using System.Text.RegularExpressions;
using GaLore.Kernels.Native;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>A possible CUDA runtime library and where the search found it.</summary>
public sealed record CudaRuntimeCandidate(string Path, string Source);

/// <summary>What the locator may look at; <see cref="System"/> reads the real machine, tests pass fakes.</summary>
/// <param name="Variable">Reads an environment variable.</param>
/// <param name="MappedFiles">Files mapped into this process (already loaded libraries).</param>
/// <param name="ListFiles">File paths directly in a folder (empty when the folder does not exist).</param>
/// <param name="LdconfigCache">Output of <c>ldconfig -p</c>, or "" when unavailable.</param>
public sealed record LocatorEnvironment(Func<string, string?> Variable, Func<IReadOnlyList<string>> MappedFiles,
    Func<string, IEnumerable<string>> ListFiles, Func<string> LdconfigCache)
{
    /// <summary>This machine.</summary>
    public static LocatorEnvironment System { get; } = new(
        Environment.GetEnvironmentVariable,
        ProcessMaps.MappedFiles,
        folder => Directory.Exists(folder) ? Directory.EnumerateFiles(folder) : [],
        RunLdconfig);

    static string RunLdconfig()
    {
        foreach (var exe in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(exe, "-p") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
                if (p is null) continue;
                string text = p.StandardOutput.ReadToEnd();
                p.WaitForExit(5000);
                return text;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return "";
    }
}

/// <summary>
/// Finds <c>libcudart.so*</c> in the places a CUDA build of PyTorch/libtorch keeps it, in this order: a runtime
/// already loaded into the process (the one libtorch uses), <c>$GALORE_LIBTORCH</c> (and its <c>lib/</c>), the folder
/// of the loaded <c>libtorch_cpu.so</c>, the pip wheels beside a PyTorch install (<c>site-packages/nvidia/*/lib</c>,
/// e.g. <c>nvidia/cuda_runtime/lib</c> for CUDA 12 and <c>nvidia/cu13/lib</c> for CUDA 13), <c>LD_LIBRARY_PATH</c>,
/// ldconfig's cache, and <c>/usr/local/cuda*/lib64</c>. Duplicates are dropped; within a folder newer versions come first.
/// </summary>
public static partial class CudaRuntimeLocator
{
    [GeneratedRegex(@"^libcudart\.so(\.\d+)*$")]
    private static partial Regex RuntimeName();

    [GeneratedRegex(@"libcudart\.so[.\d]*\s.*=>\s*(\S+)")]
    private static partial Regex LdconfigLine();

    /// <summary>Whether a file name is a CUDA runtime (<c>libcudart.so</c>, <c>libcudart.so.12</c>, <c>libcudart.so.13.0.48</c>).</summary>
    public static bool IsRuntimeName(string fileName) => RuntimeName().IsMatch(fileName);

    /// <summary>The candidates, best first.</summary>
    public static IReadOnlyList<CudaRuntimeCandidate> Candidates(LocatorEnvironment env)
    {
        var result = new List<CudaRuntimeCandidate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string path, string source)
        {
            if (seen.Add(path)) result.Add(new CudaRuntimeCandidate(path, source));
        }
        void Folder(string folder, string source)
        {
            foreach (var f in env.ListFiles(folder).Where(f => IsRuntimeName(Path.GetFileName(f))).OrderByDescending(VersionKey))
                Add(f, source);
        }

        var mapped = env.MappedFiles();
        foreach (var f in mapped.Where(f => IsRuntimeName(Path.GetFileName(f)))) Add(f, "already loaded");
        if (env.Variable(LibTorchSearch.EnvironmentVariable) is { Length: > 0 } own)
        {
            Folder(own, LibTorchSearch.EnvironmentVariable);
            Folder(Path.Combine(own, "lib"), LibTorchSearch.EnvironmentVariable);
        }
        var torchLib = mapped.Where(f => Path.GetFileName(f) == "libtorch_cpu.so").Select(Path.GetDirectoryName).FirstOrDefault(d => d is not null);
        if (torchLib is not null)
        {
            Folder(torchLib, "libtorch folder");
            // <site-packages>/torch/lib → <site-packages>/nvidia/<package>/lib
            var sitePackages = Path.GetDirectoryName(Path.GetDirectoryName(torchLib));
            if (sitePackages is not null)
                foreach (var package in new[] { "cu13", "cuda_runtime", "cu12" })
                    Folder(Path.Combine(sitePackages, "nvidia", package, "lib"), "PyTorch's nvidia wheel");
        }
        foreach (var dir in (env.Variable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            Folder(dir, "LD_LIBRARY_PATH");
        foreach (System.Text.RegularExpressions.Match m in LdconfigLine().Matches(env.LdconfigCache()))
            Add(m.Groups[1].Value, "ldconfig cache");
        foreach (var dir in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu" })
            Folder(dir, "system CUDA");
        return result;
    }

    /// <summary>Sort key: the version digits after ".so", zero-padded (libcudart.so.13 before libcudart.so.12, the bare name last).</summary>
    static string VersionKey(string path)
    {
        var name = Path.GetFileName(path);
        int at = name.IndexOf(".so", StringComparison.Ordinal) + 3;
        return string.Join('.', name[at..].Split('.', StringSplitOptions.RemoveEmptyEntries).Select(p => p.PadLeft(6, '0')));
    }
}
