using GaLore.Kernels.Benchmarks;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class BenchmarkTests : TorchTestBase
{
    [Fact]
    public void Quick_run_measures_everything()
    {
        var r = KernelBenchmark.Run(KernelBenchmarkOptions.Quick);
        Assert.Equal(512, r.Options.Rows);
        foreach (var ms in new[] { r.AdamWStepMs, r.GaLoreAdamWStepMs, r.AdamW8bitStepMs, r.SvdRefreshMs, r.RandomizedRefreshMs,
                     r.ApolloStepMs, r.ApolloMiniStepMs, r.GaussianRefreshMs })
            Assert.True(ms > 0 && double.IsFinite(ms));
        Assert.InRange(r.SubspaceAgreement, 0.9, 1.0 + 1e-9);
        Assert.True(r.Threads >= 1);
    }

    [Fact]
    public void Rejects_impossible_options()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelBenchmark.Run(KernelBenchmarkOptions.Quick with { Rank = 600 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelBenchmark.Run(KernelBenchmarkOptions.Quick with { Runs = 0 }));
    }
}
