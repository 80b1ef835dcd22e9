using System.Diagnostics;
using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>The patcher, exercised on a private copy of the real TorchSharp 0.107 libLibTorchSharp.so.</summary>
public sealed class ElfVersionNeedPatcherTests
{
    private const string Missing = "GLIBCXX_3.4.32";

    [Fact]
    public void Reads_every_version_need_of_the_real_library()
    {
        var needs = ElfVersionNeedPatcher.ReadNeeds(NativeTestFiles.LibTorchSharp);

        // Same listing as `readelf -V`: 5 files, 28 Vernaux entries, none weak in the shipped binary.
        Assert.Equal(28, needs.Count);
        Assert.Equal(["ld-linux-x86-64.so.2", "libm.so.6", "libgcc_s.so.1", "libc.so.6", "libstdc++.so.6"], needs.Select(n => n.File).Distinct());
        Assert.Equal(20, needs.Count(n => n.File == "libstdc++.so.6"));
        Assert.All(needs, n => Assert.False(n.IsWeak));
        var target = Assert.Single(needs, n => n.Version == Missing);
        Assert.Equal("libstdc++.so.6", target.File);
        Assert.Equal(18, target.Index);
        Assert.Contains(needs, n => n is { File: "libc.so.6", Version: "GLIBC_2.34" });
    }

    [Fact]
    public void Patching_sets_the_weak_flag_on_exactly_that_entry_and_changes_nothing_else()
    {
        var copy = NativeTestFiles.CopyToTemp(NativeTestFiles.LibTorchSharp);
        byte[] before = File.ReadAllBytes(copy);

        byte[] bytes = File.ReadAllBytes(copy);
        var changed = ElfVersionNeedPatcher.MarkWeak(bytes, n => n.Version == Missing, copy);
        File.WriteAllBytes(copy, bytes);

        var entry = Assert.Single(changed);
        Assert.Equal(Missing, entry.Version);
        var after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        for (long i = 0; i < before.Length; i++)
            if (i != entry.FlagsOffset && i != entry.FlagsOffset + 1)
                Assert.True(before[i] == after[i], $"byte 0x{i:x} changed");
        Assert.Equal(entry.Flags | ElfVersionNeedPatcher.VerFlgWeak, after[entry.FlagsOffset] | (after[entry.FlagsOffset + 1] << 8));

        var reread = ElfVersionNeedPatcher.ReadNeeds(copy);
        Assert.Equal([Missing], reread.Where(n => n.IsWeak).Select(n => n.Version));
        Assert.Equal(ElfVersionNeedPatcher.ReadNeeds(NativeTestFiles.LibTorchSharp).Select(n => (n.File, n.Version, n.Index)),
                     reread.Select(n => (n.File, n.Version, n.Index)));
    }

    [Fact]
    public void Patching_twice_changes_nothing_the_second_time()
    {
        byte[] bytes = File.ReadAllBytes(NativeTestFiles.LibTorchSharp);
        Assert.Single(ElfVersionNeedPatcher.MarkWeak(bytes, n => n.Version == Missing));
        byte[] once = (byte[])bytes.Clone();
        Assert.Empty(ElfVersionNeedPatcher.MarkWeak(bytes, n => n.Version == Missing));
        Assert.Equal(once, bytes);
    }

    [Fact]
    public void Mark_missing_as_weak_only_touches_the_named_files_missing_versions()
    {
        byte[] bytes = File.ReadAllBytes(NativeTestFiles.LibTorchSharp);
        var all = ElfVersionNeedPatcher.ReadNeeds(bytes).Select(n => n.Version).ToHashSet();
        var provided = all.Where(v => v is not Missing and not "CXXABI_1.3.13").ToHashSet();
        provided.Remove("GLIBC_2.34"); // missing too, but it belongs to libc.so.6, not libstdc++.so.6

        var changed = ElfVersionNeedPatcher.MarkMissingAsWeak(bytes, "libstdc++.so.6", provided);

        Assert.Equal(["CXXABI_1.3.13", Missing], changed.Select(c => c.Version).Order());
        Assert.Equal(2, ElfVersionNeedPatcher.ReadNeeds(bytes).Count(n => n.IsWeak));
    }

    [Fact]
    public void Against_the_real_system_lib_std_cxx_only_unprovided_versions_are_missing()
    {
        var cxx = LibStdCxxProbe.Find();
        Assert.NotNull(cxx);
        Assert.Contains("GLIBCXX_3.4", cxx.Versions);
        Assert.Contains("CXXABI_1.3", cxx.Versions);

        var missing = ElfVersionNeedPatcher.FindMissing(ElfVersionNeedPatcher.ReadNeeds(NativeTestFiles.LibTorchSharp), LibStdCxxProbe.SoName, cxx.Versions);

        Assert.All(missing, m => Assert.DoesNotContain(m.Version, cxx.Versions));
        if (!cxx.Versions.Contains(Missing)) // Debian 12 / Ubuntu 22.04: exactly the GCC 13 version is absent
            Assert.Equal([Missing], missing.Select(m => m.Version));
    }

    [Fact]
    public void Readelf_agrees_with_the_patch_when_it_is_installed()
    {
        if (!File.Exists("/usr/bin/readelf")) return; // independent cross-check only where binutils exist
        var copy = NativeTestFiles.CopyToTemp(NativeTestFiles.LibTorchSharp);
        byte[] bytes = File.ReadAllBytes(copy);
        ElfVersionNeedPatcher.MarkWeak(bytes, n => n.Version == Missing);
        File.WriteAllBytes(copy, bytes);

        var psi = new ProcessStartInfo("/usr/bin/readelf", ["-V", "-W", copy]) { RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n');
        process.WaitForExit();

        var weak = lines.Where(l => l.Contains("Flags: WEAK", StringComparison.Ordinal)).ToList();
        Assert.Single(weak);
        Assert.Contains($"Name: {Missing}", weak[0]);
    }

    [Fact]
    public void The_system_lib_std_cxx_definitions_are_read_from_its_verdef_section()
    {
        var cxx = LibStdCxxProbe.Find()!;
        var defs = ElfVersionDefinitions.Read(cxx.Path);
        Assert.Contains("libstdc++.so.6", defs); // the VER_FLG_BASE record carries the SONAME
        Assert.True(defs.Count(d => d.StartsWith("GLIBCXX_3.4", StringComparison.Ordinal)) >= 20);
    }
}
