using System.Text;
using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>Malformed inputs fail with a clear <see cref="ElfFormatException"/>, never an index error.</summary>
public sealed class ElfBadInputTests
{
    private static byte[] Real => File.ReadAllBytes(NativeTestFiles.LibTorchSharp);

    [Fact]
    public void Text_file_is_not_elf()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.ReadNeeds(Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n"), "script.sh"));
        Assert.Contains("script.sh", e.Message);
        Assert.Contains("not an ELF file", e.Message);
    }

    [Fact]
    public void Empty_file_is_not_elf() =>
        Assert.Contains("not an ELF file", Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.ReadNeeds([])).Message);

    [Fact]
    public void Thirty_two_bit_elf_is_rejected()
    {
        var bytes = Real;
        bytes[4] = 1; // EI_CLASS = ELFCLASS32
        Assert.Contains("not a 64-bit ELF", Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.ReadNeeds(bytes)).Message);
    }

    [Fact]
    public void Big_endian_elf_is_rejected()
    {
        var bytes = Real;
        bytes[5] = 2; // EI_DATA = ELFDATA2MSB
        Assert.Contains("not a little-endian", Assert.Throws<ElfFormatException>(() => ElfVersionDefinitions.Read(bytes)).Message);
    }

    [Theory]
    [InlineData(20)]       // inside the ELF header
    [InlineData(4096)]     // header intact, section header table (at the end of the file) missing
    [InlineData(2398000)]  // cut inside the section header table
    public void Truncated_file_is_rejected(int length)
    {
        var bytes = Real.AsSpan(0, length).ToArray();
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.MarkWeak(bytes, _ => true, "cut.so"));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("cut.so", e.Message);
    }

    [Fact]
    public void Truncated_file_on_disk_is_rejected_with_its_path()
    {
        var path = Path.Combine(NativeTestFiles.NewTempFolder(), "half.so");
        File.WriteAllBytes(path, Real.AsSpan(0, Real.Length / 2).ToArray());
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.ReadNeeds(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void Corrupt_verneed_chain_is_rejected()
    {
        var bytes = Real;
        var first = ElfVersionNeedPatcher.ReadNeeds(bytes)[0];
        // The first Vernaux's vna_next (8 bytes after vna_flags) now points far past the section.
        long vnaNext = first.FlagsOffset + 8;
        bytes[vnaNext + 3] = 0x7f;
        // ...and claim the first Verneed owns two entries, so the walker must follow it.
        long verneed = first.FlagsOffset - 4 - 16;
        bytes[verneed + 2] = 2;
        Assert.Contains("corrupt .gnu.version_r", Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.ReadNeeds(bytes)).Message);
    }

    [Fact]
    public void Soname_editor_refuses_a_string_that_is_not_in_the_table()
    {
        var stub = File.ReadAllBytes(Path.Combine(NativeTestFiles.LibTorchFolder, "libtorch.so"));
        var e = Assert.Throws<ElfFormatException>(() => ElfSonameEditor.PointSonameAt(stub, "nonexistent.so"));
        Assert.Contains("does not contain \"nonexistent.so\"", e.Message);
    }
}
