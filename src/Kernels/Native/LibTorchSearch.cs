namespace GaLore.Kernels.Native;

/// <summary>A folder that may hold libtorch (or a libLibTorchSharp.so file), and why it is on the list.</summary>
/// <param name="Location">Absolute folder path (or file path, for libLibTorchSharp.so candidates).</param>
/// <param name="Origin">Where the candidate came from, e.g. "GALORE_LIBTORCH" or "NuGet cache".</param>
public sealed record LibTorchCandidate(string Location, string Origin);

/// <summary>The outcome of <see cref="LibTorchSearch.Choose"/>.</summary>
/// <param name="Chosen">The first usable candidate, or null.</param>
/// <param name="Rejected">One line per rejected candidate: folder, origin, and what was missing.</param>
public sealed record LibTorchChoice(LibTorchCandidate? Chosen, IReadOnlyList<string> Rejected);

/// <summary>
/// Decides where to look for libtorch and libLibTorchSharp.so. Everything here is a pure function
/// of its arguments (environment lookup and file tests are passed in), so it is unit-testable with a
/// fake environment; <see cref="TorchNativeLoader"/> supplies the real ones.
/// </summary>
/// <remarks>
/// libtorch folder order: (a) <c>$GALORE_LIBTORCH</c> (and its <c>lib/</c> subfolder) — if set, it is
/// the only candidate, so a mistake is reported instead of silently falling back; (b) the app's own
/// folders: the runtime's NATIVE_DLL_SEARCH_DIRECTORIES (the folders TorchSharp's own name-based
/// loads probe first, so we pick the very same files), TorchSharp.dll's folder and the app base
/// folder, each also with <c>runtimes/linux-x64/native</c>; (c) the NuGet global packages folder
/// (<c>$NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>) <c>/libtorch-cpu-linux-x64/&lt;version&gt;/runtimes/linux-x64/native</c>.
/// </remarks>
public static class LibTorchSearch
{
    /// <summary>The "bring your own libtorch" variable: a folder with libc10.so, libtorch_cpu.so, libtorch.so.</summary>
    public const string EnvironmentVariable = "GALORE_LIBTORCH";

    /// <summary>The libtorch-cpu-linux-x64 package version; keep in step with Directory.Packages.props.</summary>
    public const string LibTorchPackageVersion = "2.10.0";

    /// <summary>The NuGet package whose runtime assets hold the CPU libtorch.</summary>
    public const string LibTorchPackageId = "libtorch-cpu-linux-x64";

    /// <summary>The libraries a libtorch folder must hold, in the order they are loaded.</summary>
    public static readonly IReadOnlyList<string> RequiredLibraries = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    /// <summary>Optional CUDA libraries, loaded (when present) right after their CPU counterparts.</summary>
    public static readonly IReadOnlyList<string> CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];

    /// <summary>TorchSharp's native library file name on Linux.</summary>
    public const string LibTorchSharpFile = "libLibTorchSharp.so";

    private static readonly string NativeSubfolder = Path.Combine("runtimes", "linux-x64", "native");

    /// <summary>The libtorch folders to try, in order.</summary>
    /// <param name="env">Environment lookup (GALORE_LIBTORCH, NUGET_PACKAGES, HOME).</param>
    /// <param name="appFolders">The app's folders, most specific first (see remarks on the class).</param>
    /// <param name="libTorchVersion">The libtorch package version to look for in the NuGet cache.</param>
    public static IReadOnlyList<LibTorchCandidate> LibTorchFolders(
        Func<string, string?> env, IReadOnlyList<string> appFolders, string libTorchVersion = LibTorchPackageVersion)
    {
        var own = env(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(own))
        {
            var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(own.Trim()));
            return [new(folder, EnvironmentVariable), new(Path.Combine(folder, "lib"), $"{EnvironmentVariable}/lib")];
        }
        var list = AppCandidates(appFolders).Select(f => new LibTorchCandidate(f, "app folder")).ToList();
        if (NuGetRoot(env) is { } nuget)
            list.Add(new(Path.Combine(nuget, LibTorchPackageId, libTorchVersion, NativeSubfolder), "NuGet cache"));
        return Dedupe(list);
    }

    /// <summary>The libLibTorchSharp.so files to try, in order: app folders, then the NuGet cache.</summary>
    public static IReadOnlyList<LibTorchCandidate> LibTorchSharpFiles(
        Func<string, string?> env, IReadOnlyList<string> appFolders, string torchSharpVersion)
    {
        var list = AppCandidates(appFolders).Select(f => new LibTorchCandidate(Path.Combine(f, LibTorchSharpFile), "app folder")).ToList();
        if (NuGetRoot(env) is { } nuget)
            list.Add(new(Path.Combine(nuget, "torchsharp", torchSharpVersion, NativeSubfolder, LibTorchSharpFile), "NuGet cache"));
        return Dedupe(list);
    }

    /// <summary>
    /// Picks the first candidate that holds every <see cref="RequiredLibraries"/> file, and explains
    /// each one passed over.
    /// </summary>
    public static LibTorchChoice Choose(IEnumerable<LibTorchCandidate> candidates, Func<string, bool> fileExists, Func<string, bool> folderExists)
    {
        var rejected = new List<string>();
        foreach (var c in candidates)
        {
            if (!folderExists(c.Location))
            {
                rejected.Add($"{c.Location} ({c.Origin}): folder does not exist");
                continue;
            }
            var missing = RequiredLibraries.Where(f => !fileExists(Path.Combine(c.Location, f))).ToList();
            if (missing.Count == 0)
                return new LibTorchChoice(c, rejected);
            rejected.Add($"{c.Location} ({c.Origin}): missing {string.Join(", ", missing)}");
        }
        return new LibTorchChoice(null, rejected);
    }

    /// <summary>Set to 1 to load a libtorch whose declared version differs from the one TorchSharp was built against.</summary>
    public const string AllowMismatchVariable = "GALORE_LIBTORCH_ALLOW_MISMATCH";

    /// <summary>
    /// The libtorch version a folder declares, if it says: a PyTorch install has
    /// <c>torch/version.py</c> (<c>__version__ = '2.10.0+cu128'</c>) one level above <c>torch/lib</c>;
    /// a libtorch zip has <c>build-version</c> there. Null when neither file exists.
    /// </summary>
    public static string? DeclaredVersion(string libFolder, Func<string, string?> readFile)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(libFolder));
        if (parent is null) return null;
        if (readFile(Path.Combine(parent, "version.py")) is { } py)
            foreach (var line in py.Split('\n'))
                if (line.TrimStart().StartsWith("__version__", StringComparison.Ordinal) && line.Split('=', 2) is [_, var v])
                    return v.Trim().Trim('\'', '"');
        return readFile(Path.Combine(parent, "build-version"))?.Trim();
    }

    /// <summary>
    /// The version of the <c>libtorch-cpu-linux-x64</c> package a folder came from, when it does not declare one itself: the
    /// NuGet cache's folder names it (<c>…/libtorch-cpu-linux-x64/2.10.0/runtimes/…</c>), and an app folder's
    /// <c>*.deps.json</c> lists the package it was deployed from (<c>"libtorch-cpu-linux-x64/2.10.0"</c>). Null otherwise.
    /// </summary>
    public static string? PackageVersion(string libFolder, IReadOnlyList<string> appFolders, Func<string, string?> readFile)
    {
        var parts = libFolder.Replace('\\', '/').Split('/');
        for (int k = 0; k + 1 < parts.Length; k++)
            if (parts[k] == LibTorchPackageId) return parts[k + 1];
        foreach (var app in appFolders)
        {
            if (string.IsNullOrWhiteSpace(app) || !Directory.Exists(app)) continue;
            foreach (var deps in Directory.EnumerateFiles(app, "*.deps.json"))
            {
                string? text = readFile(deps);
                int at = text?.IndexOf($"\"{LibTorchPackageId}/", StringComparison.Ordinal) ?? -1;
                if (at < 0) continue;
                int start = at + LibTorchPackageId.Length + 2, end = text!.IndexOf('"', start);
                if (end > start) return text[start..end];
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="declared"/> (e.g. "2.10.0+cu128") has the same major.minor as <paramref name="expected"/>.</summary>
    public static bool SameMinorVersion(string declared, string expected) =>
        MajorMinor(declared) == MajorMinor(expected);

    private static string MajorMinor(string version) => string.Join('.', version.Split('+', '-')[0].Split('.').Take(2));

    private static IEnumerable<string> AppCandidates(IReadOnlyList<string> appFolders) =>
        appFolders.Where(f => !string.IsNullOrWhiteSpace(f))
                  .Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f)))
                  .SelectMany(f => f.EndsWith(NativeSubfolder, StringComparison.Ordinal) ? [f] : new[] { f, Path.Combine(f, NativeSubfolder) });

    private static string? NuGetRoot(Func<string, string?> env)
    {
        var packages = env("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(packages)) return packages;
        var home = env("HOME");
        return string.IsNullOrWhiteSpace(home) ? null : Path.Combine(home, ".nuget", "packages");
    }

    private static IReadOnlyList<LibTorchCandidate> Dedupe(List<LibTorchCandidate> list) =>
        list.GroupBy(c => c.Location, StringComparer.Ordinal).Select(g => g.First()).ToList();
}
