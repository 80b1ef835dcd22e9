using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

public class DdpTests
{
    static long Peak(StepSpec s, AllocationRounding rounding) => StepCompiler.Compile(s, rounding).Evaluate(2 * 256, 256).PeakBytes;

    [Theory]
    [InlineData("adamw")]
    [InlineData("galore_adamw")]
    [InlineData("adamw_8bit")]
    public void Every_gpu_holds_one_gpus_step_plus_the_gradient_buckets(string optimizer)
    {
        var one = Step("llama-60m", optimizer, 1, Strategies.None);
        foreach (var rounding in new[] { AllocationRounding.None, AllocationRounding.CudaReserved })
        {
            var buckets = DdpStrategy.Buckets(StepCompiler.LayoutOf(one.Model), 2);
            long bucketBytes = buckets.Sum(b => Rounding.Apply(b, rounding));
            foreach (int n in new[] { 2, 4, 8, 64 })
                Assert.Equal(Peak(one, rounding) + bucketBytes, Peak(Step("llama-60m", optimizer, n, Strategies.Ddp), rounding));
        }
    }

    [Fact]
    public void Buckets_copy_every_gradient_so_ddp_doubles_gradient_memory()
    {
        var s = Step("llama-60m", "adamw", 4, Strategies.Ddp);
        var layout = StepCompiler.LayoutOf(s.Model);
        var buckets = DdpStrategy.Buckets(layout, 2);
        long gradients = layout.Parameters.Sum(t => t.Elements * 2);
        Assert.Equal(gradients, buckets.Sum());
        Assert.True(buckets[0] >= DdpStrategy.FirstBucketBytes);                          // the first closes at 1 MiB
        Assert.All(buckets.Take(buckets.Count - 1).Skip(1), b => Assert.True(b >= DdpStrategy.BucketCapBytes));
        var summary = ParallelSummary.Of(s);
        Assert.Equal(gradients, summary.DdpBucketBytes);
        Assert.Equal(2 * gradients, summary.ModelStates.Gradients);
        // Pure bf16: weights 2 + .grad 2 + buckets 2 + AdamW's two bf16 moments 4 = 10 bytes per parameter on every GPU.
        long psi = layout.Parameters.Sum(t => t.Elements);
        var m = summary.ModelStates;
        Assert.Equal(10 * psi, m.Weights + m.Gradients + m.OptimizerStates);
    }

    [Fact]
    public void GaLore_under_ddp_runs_with_replicated_low_rank_states()
    {
        var s = Step("llama-60m", "galore_adamw", 4, Strategies.Ddp, rank: 64);
        var summary = ParallelSummary.Of(s);
        var single = ParallelSummary.Of(Step("llama-60m", "galore_adamw", 1, Strategies.None, accum: 2, rank: 64));
        Assert.Equal(single.ModelStates.OptimizerStates, summary.ModelStates.OptimizerStates);
        Assert.Contains(summary.Warnings, w => w.Contains("whole low-rank states and projectors"));
    }
}
