using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace GaLore.Kernels.Native;

/// <summary>
/// One attempt at loading libtorch and libLibTorchSharp.so, step by step, keeping a log of what was
/// loaded from where (for <see cref="TorchNativeLoader.Describe"/>) and of every failed attempt (for
/// the <see cref="TorchNativeLoadException"/> message). Used only by <see cref="TorchNativeLoader"/>.
/// </summary>
internal sealed class TorchLoadSession(Func<string, string?> env)
{
    private readonly Dictionary<string, string> loaded = new(StringComparer.Ordinal); // file name -> path
    private readonly List<string> failures = [];

    /// <summary>Human-readable lines: what was loaded, from where, and why.</summary>
    public List<string> Log { get; } = [];

    /// <summary>The libtorch folder loaded, with where it was found and its version (declared by the folder, or the
    /// libtorch package's version when it came from NuGet); null before <see cref="Run"/>.</summary>
    public (string Folder, string Origin, string? Version)? LibTorch { get; private set; }

    /// <summary>The handle of the libLibTorchSharp.so that TorchSharp's P/Invokes must bind to.</summary>
    public IntPtr LibTorchSharpHandle { get; private set; }

    /// <summary>Runs every step; throws <see cref="TorchNativeLoadException"/> on the first unrecoverable one.</summary>
    public void Run()
    {
        var torchSharp = typeof(torch).Assembly;
        var appFolders = AppFolders(torchSharp);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var folder = LoadLibTorch(appFolders);
        Log.Add($"  ({clock.ElapsedMilliseconds} ms to load libtorch)");
        var cxx = LibStdCxxProbe.Find([folder]);
        Log.Add(cxx is null
            ? "libstdc++.so.6: not found; libLibTorchSharp.so is loaded unpatched"
            : $"libstdc++.so.6: {cxx.Path} ({cxx.HowFound}), newest {Newest(cxx.Versions, "GLIBCXX_")}, {Newest(cxx.Versions, "CXXABI_")}");
        LoadLibTorchSharp(appFolders, torchSharp, cxx);
        PreemptDuplicateLoads(torchSharp, folder);
        InstallResolver(torchSharp);
    }

    private string LoadLibTorch(IReadOnlyList<string> appFolders)
    {
        var choice = LibTorchSearch.Choose(LibTorchSearch.LibTorchFolders(env, appFolders), File.Exists, Directory.Exists);
        failures.AddRange(choice.Rejected);
        if (choice.Chosen is not { } chosen)
            throw Fail("no folder holds a complete libtorch (" + string.Join(", ", LibTorchSearch.RequiredLibraries) + ")");
        string folder = chosen.Location;
        var declared = LibTorchSearch.DeclaredVersion(folder, p => File.Exists(p) ? File.ReadAllText(p) : null);
        Log.Add($"libtorch folder: {folder} (from {chosen.Origin}; declared version {declared ?? "unknown"})");
        LibTorch = (folder, chosen.Origin, declared ?? LibTorchSearch.PackageVersion(folder, appFolders, p => File.Exists(p) ? File.ReadAllText(p) : null));
        if (declared is not null && !LibTorchSearch.SameMinorVersion(declared, LibTorchSearch.LibTorchPackageVersion))
        {
            string mismatch = $"{folder} holds libtorch {declared}, but TorchSharp's native library is built against libtorch {LibTorchSearch.LibTorchPackageVersion}";
            if (env(LibTorchSearch.AllowMismatchVariable) != "1")
                throw Fail($"{mismatch}; their C++ ABIs may differ (set {LibTorchSearch.AllowMismatchVariable}=1 to try anyway, e.g. to probe compatibility)");
            Log.Add($"WARNING: {mismatch}; trying anyway because {LibTorchSearch.AllowMismatchVariable}=1");
        }

        var already = ProcessMaps.FindMapped("libtorch_cpu.so");
        if (already is not null && !TorchSharpNameProbe.SameFile(already, Path.Combine(folder, "libtorch_cpu.so")))
            throw Fail($"libtorch_cpu.so was already loaded from {already} before TorchNativeLoader.EnsureLoaded() ran; "
                       + "loading a second copy would abort the process. Call EnsureLoaded() before any other TorchSharp use");

        // Dependencies first, each by full path, so every later DT_NEEDED and bare-name dlopen
        // of the same SONAME resolves to these objects (glibc elf/dl-load.c, _dl_map_object).
        string[] order = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];
        foreach (var name in order)
        {
            var path = Path.Combine(folder, name);
            bool optional = LibTorchSearch.CudaLibraries.Contains(name);
            if (optional && !File.Exists(path)) continue;
            try
            {
                NativeLibrary.Load(path);
                loaded[name] = path;
                Log.Add($"  loaded {path}");
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                failures.Add($"{path}: {e.Message}");
                if (!optional) throw Fail($"libtorch in {folder} could not be loaded");
                Log.Add($"  WARNING: {path} did not load, CUDA will be unavailable: {e.Message}");
            }
        }
        return folder;
    }

    private void LoadLibTorchSharp(IReadOnlyList<string> appFolders, Assembly torchSharp, LibStdCxxInfo? cxx)
    {
        var version = torchSharp.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                      ?? torchSharp.GetName().Version?.ToString(3) ?? "0.107.0";
        foreach (var candidate in LibTorchSearch.LibTorchSharpFiles(env, appFolders, version))
        {
            var original = candidate.Location;
            if (!File.Exists(original))
            {
                failures.Add($"{original} ({candidate.Origin}): not found");
                continue;
            }
            try
            {
                var patched = cxx is null
                    ? new PatchedLibrary(original, [], false)
                    : PatchedLibraryCache.GetOrCreateWeakened(original, LibStdCxxProbe.SoName, cxx.Versions);
                LibTorchSharpHandle = NativeLibrary.Load(patched.Path);
                Log.Add(patched.Weakened.Count == 0
                    ? $"libLibTorchSharp.so: {original} (from {candidate.Origin}), unpatched"
                    : $"libLibTorchSharp.so: {patched.Path} ({(patched.Reused ? "reused" : "new")} private copy of {original}, "
                      + $"from {candidate.Origin}; marked weak: {string.Join(", ", patched.Weakened.Select(w => $"{w.File} {w.Version}"))})");
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or ElfFormatException or IOException or UnauthorizedAccessException)
            {
                var hint = e.Message.Contains("GLIBCXX", StringComparison.Ordinal) || e.Message.Contains("CXXABI", StringComparison.Ordinal)
                    ? " (the C++ runtime libstdc++.so.6 in use is too old for a symbol this library really uses)"
                    : "";
                failures.Add($"{original} ({candidate.Origin}): {e.Message}{hint}");
            }
        }
        throw Fail("no libLibTorchSharp.so could be loaded");
    }

    /// <summary>Makes TorchSharp's own <c>TryLoad("torch_cpu")</c>/<c>("torch_cuda")</c> land on our libtorch, see <see cref="TorchSharpNameProbe"/>.</summary>
    private void PreemptDuplicateLoads(Assembly torchSharp, string folder)
    {
        var searchFolders = NativeSearchDirectories().Append(Path.GetDirectoryName(torchSharp.Location) ?? "").ToList();
        foreach (var name in TorchSharpNameProbe.ProbedNames)
        {
            if (TorchSharpNameProbe.FirstFileHit(name, searchFolders, File.Exists) is not { } probe) continue;
            var (hit, firstSpelling) = probe;
            if (loaded.TryGetValue($"lib{name}.so", out var ours) && TorchSharpNameProbe.SameFile(hit, ours)) continue;
            var problem = $"TorchSharp would load a second, different copy of lib{name}.so from {hit}, which aborts the process";
            if (firstSpelling) throw Fail(problem + $" (it is named {Path.GetFileName(hit)}, which an alias cannot pre-empt)");
            try
            {
                var alias = TorchSharpNameProbe.CreateAlias(Path.Combine(folder, "libtorch.so"), name);
                NativeLibrary.Load(alias);
                Log.Add($"alias {alias} (SONAME {name}.so) loaded so that TorchSharp's load of \"{name}\" reuses {ours ?? "the loaded libtorch"} instead of {hit}");
            }
            catch (Exception e) when (e is ElfFormatException or DllNotFoundException or IOException)
            {
                failures.Add($"alias for {name}: {e.Message}");
                throw Fail(problem);
            }
        }
    }

    private void InstallResolver(Assembly torchSharp)
    {
        var handle = LibTorchSharpHandle;
        try
        {
            NativeLibrary.SetDllImportResolver(torchSharp, (name, _, _) =>
                name is "LibTorchSharp" or LibTorchSearch.LibTorchSharpFile ? handle : IntPtr.Zero);
            Log.Add("DllImport resolver set on TorchSharp: [DllImport(\"LibTorchSharp\")] binds to the library above");
        }
        catch (InvalidOperationException)
        {
            Log.Add("note: TorchSharp already had a DllImport resolver; its P/Invokes find libLibTorchSharp.so by SONAME instead");
        }
    }

    /// <summary>The runtime's NATIVE_DLL_SEARCH_DIRECTORIES (folders of the app's native assets).</summary>
    private static IEnumerable<string> NativeSearchDirectories() =>
        (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>NATIVE_DLL_SEARCH_DIRECTORIES, TorchSharp.dll's folder and the app base folder, without the .NET runtime's own folder.</summary>
    private static IReadOnlyList<string> AppFolders(Assembly torchSharp)
    {
        var runtime = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        return NativeSearchDirectories()
            .Append(Path.GetDirectoryName(torchSharp.Location) ?? "")
            .Append(AppContext.BaseDirectory)
            .Where(f => f.Length > 0 && Path.TrimEndingDirectorySeparator(Path.GetFullPath(f)) != runtime)
            .ToList();
    }

    private static string Newest(IReadOnlySet<string> versions, string prefix) =>
        versions.Where(v => v.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(v => Version.TryParse(v[prefix.Length..], out var parsed) ? parsed : new Version(0, 0))
                .LastOrDefault() ?? $"no {prefix}*";

    private TorchNativeLoadException Fail(string what) => new(
        $"Could not load the native PyTorch libraries for TorchSharp: {what}.{Environment.NewLine}"
        + $"Paths tried and why they failed:{Environment.NewLine}"
        + string.Join(Environment.NewLine, failures.Select(f => "  - " + f))
        + (Log.Count > 0 ? $"{Environment.NewLine}Loaded so far:{Environment.NewLine}" + string.Join(Environment.NewLine, Log.Select(l => "  " + l)) : "")
        + $"{Environment.NewLine}To use your own libtorch {LibTorchSearch.LibTorchPackageVersion}.x (for example a PyTorch install's site-packages/torch/lib, "
        + $"which also enables CUDA), set the environment variable {LibTorchSearch.EnvironmentVariable} to that folder.");
}
