using System.Security.Cryptography;
using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>
/// The private patched copy: where it goes, reuse, atomic writes under contention, and that the
/// original is never modified. In the "torch" collection because it sets XDG_CACHE_HOME.
/// </summary>
[Collection("torch")]
public sealed class PatchedLibraryCacheTests
{
    private static readonly HashSet<string> ProvidedWithout3432 =
        ElfVersionNeedPatcher.ReadNeeds(NativeTestFiles.LibTorchSharp).Select(n => n.Version).Where(v => v != "GLIBCXX_3.4.32").ToHashSet();

    private static T WithCacheHome<T>(string folder, Func<T> action)
    {
        var old = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", folder);
        try { return action(); }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", old); }
    }

    [Fact]
    public void Writes_under_xdg_cache_home_keyed_by_the_originals_hash_and_reuses_it()
    {
        var home = NativeTestFiles.NewTempFolder();
        var original = NativeTestFiles.LibTorchSharp;
        var hashBefore = SHA256.HashData(File.ReadAllBytes(original));

        var first = WithCacheHome(home, () => PatchedLibraryCache.GetOrCreateWeakened(original, "libstdc++.so.6", ProvidedWithout3432));
        var second = WithCacheHome(home, () => PatchedLibraryCache.GetOrCreateWeakened(original, "libstdc++.so.6", ProvidedWithout3432));

        var key = Convert.ToHexStringLower(hashBefore)[..32];
        Assert.Equal(Path.Combine(home, "galore-planner", "native", key, "libLibTorchSharp.so"), first.Path);
        Assert.False(first.Reused);
        Assert.True(second.Reused);
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(["GLIBCXX_3.4.32"], first.Weakened.Select(w => w.Version));
        Assert.Equal(hashBefore, SHA256.HashData(File.ReadAllBytes(original))); // never patched in place
        Assert.Equal(["GLIBCXX_3.4.32"], ElfVersionNeedPatcher.ReadNeeds(first.Path).Where(n => n.IsWeak).Select(n => n.Version));
    }

    [Fact]
    public void Nothing_missing_means_the_original_is_used_and_nothing_is_written()
    {
        var home = NativeTestFiles.NewTempFolder();
        var everything = ElfVersionNeedPatcher.ReadNeeds(NativeTestFiles.LibTorchSharp).Select(n => n.Version).ToHashSet();

        var result = WithCacheHome(home, () => PatchedLibraryCache.GetOrCreateWeakened(NativeTestFiles.LibTorchSharp, "libstdc++.so.6", everything));

        Assert.Equal(NativeTestFiles.LibTorchSharp, result.Path);
        Assert.Empty(result.Weakened);
        Assert.Empty(Directory.EnumerateFileSystemEntries(home));
    }

    [Fact]
    public void A_stale_or_foreign_file_in_the_cache_is_replaced()
    {
        var home = NativeTestFiles.NewTempFolder();
        var first = WithCacheHome(home, () => PatchedLibraryCache.GetOrCreateWeakened(NativeTestFiles.LibTorchSharp, "libstdc++.so.6", ProvidedWithout3432));
        File.WriteAllBytes(first.Path, [1, 2, 3]);

        var again = WithCacheHome(home, () => PatchedLibraryCache.GetOrCreateWeakened(NativeTestFiles.LibTorchSharp, "libstdc++.so.6", ProvidedWithout3432));

        Assert.False(again.Reused);
        Assert.Single(ElfVersionNeedPatcher.ReadNeeds(again.Path), n => n.IsWeak);
    }

    [Fact]
    public void Concurrent_writers_all_end_with_one_complete_file_and_no_temp_files()
    {
        var home = NativeTestFiles.NewTempFolder();
        var paths = WithCacheHome(home, () =>
        {
            var results = new string[8];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
                results[i] = PatchedLibraryCache.GetOrCreateWeakened(NativeTestFiles.LibTorchSharp, "libstdc++.so.6", ProvidedWithout3432).Path);
            return results;
        });

        Assert.Single(paths.Distinct());
        var folder = Path.GetDirectoryName(paths[0])!;
        Assert.Equal(["libLibTorchSharp.so"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(new FileInfo(NativeTestFiles.LibTorchSharp).Length, new FileInfo(paths[0]).Length);
    }

    [Fact]
    public void Relative_xdg_cache_home_is_ignored_as_the_spec_requires()
    {
        var roots = WithCacheHome("relative/cache", () => PatchedLibraryCache.CacheRoots().ToList());
        Assert.DoesNotContain("relative/cache", roots);
        Assert.Contains(roots, r => r.EndsWith(".cache", StringComparison.Ordinal));
    }
}
