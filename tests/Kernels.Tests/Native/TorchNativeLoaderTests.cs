using System.Diagnostics;
using GaLore.Kernels.Native;
using TorchSharp;

namespace GaLore.Kernels.Tests.Native;

/// <summary>End to end, in this test process: the loader makes TorchSharp work and the maths is right.</summary>
[Collection("torch")]
public sealed class TorchNativeLoaderTests
{
    [Fact]
    public void After_ensure_loaded_matmul_and_svd_are_numerically_sane()
    {
        TorchNativeLoader.EnsureLoaded();
        Assert.True(TorchNativeLoader.IsLoaded);

        torch.manual_seed(1234);
        using var a = torch.randn(64, 64, dtype: torch.float64);
        using var b = torch.randn(64, 64, dtype: torch.float64);

        // (AB)^T == B^T A^T, and A·I == A.
        using var ab = a.matmul(b);
        Assert.True(ab.t().allclose(b.t().matmul(a.t()), rtol: 1e-10, atol: 1e-10));
        Assert.True(a.matmul(torch.eye(64, dtype: torch.float64)).allclose(a));
        // One entry by hand.
        double manual = 0;
        for (int k = 0; k < 64; k++) manual += a[3, k].item<double>() * b[k, 5].item<double>();
        Assert.Equal(manual, ab[3, 5].item<double>(), 1e-10);

        var (u, s, vh) = torch.linalg.svd(a, fullMatrices: false);
        using var rebuilt = u.matmul(torch.diag(s)).matmul(vh);
        Assert.True((rebuilt - a).abs().max().item<double>() < 1e-4);
        Assert.True(u.t().matmul(u).allclose(torch.eye(64, dtype: torch.float64), atol: 1e-8));
        var sv = s.data<double>().ToArray();
        Assert.True(sv.Zip(sv.Skip(1)).All(p => p.First >= p.Second) && sv[^1] >= 0, "singular values must be sorted and non-negative");

        // float32, the dtype GaLore uses, to the tolerance asked for.
        using var f = torch.randn(64, 32);
        var (uf, sf, vhf) = torch.linalg.svd(f, fullMatrices: false);
        Assert.True((uf.matmul(torch.diag(sf)).matmul(vhf) - f).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void Describe_says_what_was_loaded_from_where()
    {
        TorchNativeLoader.EnsureLoaded();
        var report = TorchNativeLoader.Describe();

        Assert.StartsWith("TorchSharp native libraries: loaded", report);
        Assert.Contains("libtorch folder:", report);
        Assert.Contains("libtorch_cpu.so", report);
        Assert.Contains("libLibTorchSharp.so:", report);
        Assert.Contains("libstdc++.so.6:", report);
        var cxx = LibStdCxxProbe.Find()!;
        if (!cxx.Versions.Contains("GLIBCXX_3.4.32"))
            Assert.Contains("marked weak: libstdc++.so.6 GLIBCXX_3.4.32", report);
    }

    [Fact]
    public void Repeated_and_concurrent_calls_load_once()
    {
        TorchNativeLoader.EnsureLoaded();
        string first = TorchNativeLoader.Describe();
        Parallel.For(0, 64, _ => TorchNativeLoader.EnsureLoaded());
        for (int i = 0; i < 1000; i++) TorchNativeLoader.EnsureLoaded();
        // The report is written once, by the one load; later calls return without loading again.
        Assert.Same(first, TorchNativeLoader.Describe());
        Assert.True(TorchNativeLoader.IsLoaded);
    }

    [Fact]
    public void Only_one_libtorch_cpu_is_mapped()
    {
        TorchNativeLoader.EnsureLoaded();
        using var _ = torch.ones(3).sum(); // make TorchSharp run every lazy load it wants
        var cpu = ProcessMaps.MappedFiles().Where(p => Path.GetFileName(p) == "libtorch_cpu.so").ToList();
        Assert.Single(cpu);
    }
}
