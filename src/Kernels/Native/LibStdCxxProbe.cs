using System.Runtime.InteropServices;

namespace GaLore.Kernels.Native;

/// <summary>The C++ runtime a process binds <c>libstdc++.so.6</c> to, and the versions it defines.</summary>
/// <param name="Path">The file (after symlinks, when found through /proc/self/maps).</param>
/// <param name="HowFound">Human-readable provenance, for diagnostics.</param>
/// <param name="Versions">Its .gnu.version_d names, e.g. GLIBCXX_3.4.30, CXXABI_1.3.13.</param>
public sealed record LibStdCxxInfo(string Path, string HowFound, IReadOnlySet<string> Versions);

/// <summary>
/// Finds the <c>libstdc++.so.6</c> that the dynamic linker will bind a newly loaded library to.
/// </summary>
/// <remarks>
/// glibc satisfies a DT_NEEDED name from an already loaded object whose SONAME matches before it
/// searches the disk (elf/dl-load.c, <c>_dl_map_object</c>). So once any C++ library is loaded — the
/// .NET host itself, or libc10.so — the copy listed in <c>/proc/self/maps</c> is the authoritative
/// one. Only if none is mapped yet do we fall back to the search order of ld.so(8): LD_LIBRARY_PATH,
/// caller-supplied folders (the RUNPATH <c>$ORIGIN</c> of the library about to be loaded), then the
/// default system folders that <c>ldconfig</c> covers on Debian/Ubuntu and Fedora-style systems.
/// </remarks>
public static class LibStdCxxProbe
{
    /// <summary>The SONAME every libstdc++ since GCC 3.4 carries.</summary>
    public const string SoName = "libstdc++.so.6";

    /// <summary>
    /// Locates the libstdc++ the process uses or will use, and reads its version definitions.
    /// Returns null if none can be found (then callers cannot know which versions are missing).
    /// </summary>
    /// <param name="extraFolders">Folders searched after LD_LIBRARY_PATH, e.g. the libtorch folder.</param>
    public static LibStdCxxInfo? Find(IEnumerable<string>? extraFolders = null)
    {
        var mapped = FindMapped();
        if (mapped is not null)
            return new LibStdCxxInfo(mapped, "already loaded in this process (/proc/self/maps)", ElfVersionDefinitions.Read(mapped));
        foreach (var folder in SearchFolders(extraFolders))
        {
            var candidate = System.IO.Path.Combine(folder, SoName);
            if (File.Exists(candidate))
                return new LibStdCxxInfo(candidate, $"first {SoName} on the library search path ({folder})", ElfVersionDefinitions.Read(candidate));
        }
        return null;
    }

    /// <summary>The path of a libstdc++.so.6 mapped into this process, from /proc/self/maps, or null.</summary>
    public static string? FindMapped() => ProcessMaps.FindMapped(SoName);

    /// <summary>LD_LIBRARY_PATH, then <paramref name="extraFolders"/>, then the default system folders.</summary>
    public static IEnumerable<string> SearchFolders(IEnumerable<string>? extraFolders = null)
    {
        var ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "";
        var triplet = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        return ldLibraryPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraFolders ?? [])
            .Concat([$"/lib/{triplet}", $"/usr/lib/{triplet}", "/lib64", "/usr/lib64", "/lib", "/usr/lib"])
            .Distinct(StringComparer.Ordinal);
    }
}
