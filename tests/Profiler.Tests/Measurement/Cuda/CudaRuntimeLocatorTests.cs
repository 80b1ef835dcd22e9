using GaLore.Profiler.Measurement.Cuda;

namespace GaLore.Profiler.Tests.Measurement.Cuda;

public sealed class CudaRuntimeLocatorTests
{
    static LocatorEnvironment Fake(Dictionary<string, string[]> folders, string[]? mapped = null, Dictionary<string, string>? vars = null, string ldconfig = "") =>
        new(name => vars is not null && vars.TryGetValue(name, out var v) ? v : null,
            () => mapped ?? [],
            folder => folders.TryGetValue(folder, out var files) ? files.Select(f => Path.Combine(folder, f)) : [],
            () => ldconfig);

    [Theory]
    [InlineData("libcudart.so", true)]
    [InlineData("libcudart.so.12", true)]
    [InlineData("libcudart.so.13.0.48", true)]
    [InlineData("libcudart_static.a", false)]
    [InlineData("libcudart.so.12.bak", false)]
    public void Recognises_runtime_file_names(string name, bool expected) => Assert.Equal(expected, CudaRuntimeLocator.IsRuntimeName(name));

    [Fact]
    public void Search_order_follows_loaded_then_own_then_torch_then_wheels_then_path_then_system()
    {
        var site = "/opt/torch/.venv/lib/python3.12/site-packages";
        var env = Fake(
            new()
            {
                ["/my/libtorch/lib"] = ["libcudart.so.12", "libc10.so"],
                [$"{site}/torch/lib"] = ["libtorch_cpu.so"],
                [$"{site}/nvidia/cu13/lib"] = ["libcudart.so.13", "libcudart.so.13.0.48", "libnvrtc.so.13"],
                ["/extra"] = ["libcudart.so.11.0"],
                ["/usr/local/cuda/lib64"] = ["libcudart.so", "libcudart.so.13"],
            },
            mapped: [$"{site}/torch/lib/libtorch_cpu.so", "/usr/lib/libc.so.6"],
            vars: new() { ["GALORE_LIBTORCH"] = "/my/libtorch", ["LD_LIBRARY_PATH"] = "/extra::/missing" },
            ldconfig: "\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudart.so.12\n");

        var found = CudaRuntimeLocator.Candidates(env);

        Assert.Equal(
            new[]
            {
                "/my/libtorch/lib/libcudart.so.12",
                $"{site}/nvidia/cu13/lib/libcudart.so.13.0.48",
                $"{site}/nvidia/cu13/lib/libcudart.so.13",
                "/extra/libcudart.so.11.0",
                "/usr/lib/x86_64-linux-gnu/libcudart.so.12",
                "/usr/local/cuda/lib64/libcudart.so.13",
                "/usr/local/cuda/lib64/libcudart.so",
            },
            found.Select(c => c.Path));
        Assert.Equal("GALORE_LIBTORCH", found[0].Source);
        Assert.Equal("PyTorch's nvidia wheel", found[1].Source);
    }

    [Fact]
    public void An_already_loaded_runtime_comes_first_and_nothing_is_listed_twice()
    {
        var env = Fake(new() { ["/usr/local/cuda/lib64"] = ["libcudart.so.12"] },
            mapped: ["/usr/local/cuda/lib64/libcudart.so.12"]);
        var found = CudaRuntimeLocator.Candidates(env);
        Assert.Single(found);
        Assert.Equal("already loaded", found[0].Source);
    }

    [Fact]
    public void Nothing_found_gives_a_clear_error()
    {
        var e = Assert.Throws<GpuMeasurementException>(() => CudaRuntimeLibrary.Load([]));
        Assert.Contains("no CUDA runtime (libcudart.so*) was found", e.Message);
        var bad = Assert.Throws<GpuMeasurementException>(() => CudaRuntimeLibrary.Load([new CudaRuntimeCandidate("/nope/libcudart.so.12", "test")]));
        Assert.Contains("/nope/libcudart.so.12 (test): does not load", bad.Message);
    }
}
