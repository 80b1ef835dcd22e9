using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>The SONAME re-pointing used to build alias stubs, on a copy of the real libtorch.so stub.</summary>
public sealed class ElfSonameEditorTests
{
    private static string Stub => Path.Combine(NativeTestFiles.LibTorchFolder, "libtorch.so");

    [Fact]
    public void Reads_the_real_sonames()
    {
        Assert.Equal("libtorch.so", ElfSonameEditor.ReadSoname(File.ReadAllBytes(Stub)));
        Assert.Equal("libLibTorchSharp.so", ElfSonameEditor.ReadSoname(File.ReadAllBytes(NativeTestFiles.LibTorchSharp)));
    }

    [Fact]
    public void Points_the_soname_at_the_tail_of_an_existing_string_changing_only_d_val()
    {
        byte[] before = File.ReadAllBytes(Stub);
        byte[] bytes = (byte[])before.Clone();

        ElfSonameEditor.PointSonameAt(bytes, "torch_cpu.so");

        Assert.Equal("torch_cpu.so", ElfSonameEditor.ReadSoname(bytes));
        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != before[i]).ToList();
        Assert.NotEmpty(changed);
        Assert.True(changed[^1] - changed[0] < 8, "only the 8-byte d_val of DT_SONAME may change");
        Assert.Equal(ElfVersionNeedPatcher.ReadNeeds(before), ElfVersionNeedPatcher.ReadNeeds(bytes));
    }

    [Fact]
    public void Alias_stub_is_written_once_to_the_private_cache()
    {
        var a = TorchSharpNameProbe.CreateAlias(Stub, "torch_cpu");
        var b = TorchSharpNameProbe.CreateAlias(Stub, "torch_cpu");
        Assert.Equal(a, b);
        Assert.Equal("torch_cpu.so", Path.GetFileName(a));
        Assert.Equal("torch_cpu.so", ElfSonameEditor.ReadSoname(File.ReadAllBytes(a)));
        Assert.Equal("libtorch.so", ElfSonameEditor.ReadSoname(File.ReadAllBytes(Stub))); // the original is untouched
    }
}
