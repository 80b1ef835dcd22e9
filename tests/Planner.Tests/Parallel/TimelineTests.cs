using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>The per-GPU timelines keep the planner's invariants: each step returns to its persistent bytes, nothing goes
/// negative, compaction and block repetition do not move the peak.</summary>
public class TimelineTests
{
    static IEnumerable<StepSpec> Cases()
    {
        foreach (var model in new[] { "tiny", "llama-60m" })
            foreach (var strategy in Strategies.Multi)
                foreach (var opt in new[] { "adamw", "adamw_8bit", "adafactor", "galore_adamw" })
                    foreach (var mode in new[] { PrecisionMode.Bf16, PrecisionMode.Mixed, PrecisionMode.Fp32 })
                        foreach (bool ckpt in new[] { false, true })
                        {
                            if (OptimizerSpec.Parse(opt).GaLore && strategy is Zero1Strategy or Zero2Strategy or Zero3Strategy) continue;
                            yield return Step(model, opt, 4, strategy, mode, checkpointing: ckpt);
                        }
        yield return Step("llama-60m", "adamw", 2, Strategies.Zero3, offload: OffloadMode.Optimizer);
        yield return Step("llama-60m", "adamw", 2, Strategies.Zero3, offload: OffloadMode.OptimizerAndParams);
        yield return Step("llama-60m", "adamw", 2, Strategies.Zero2, offload: OffloadMode.Optimizer);
        yield return Step("llama-60m", "adamw", 2, Strategies.Zero1, offload: OffloadMode.Optimizer);
        yield return Step("llama-60m", "galore_adamw", 2, Strategies.Fsdp, offload: OffloadMode.OptimizerAndParams);
    }

    [Fact]
    public void Every_step_returns_to_its_persistent_memory_and_never_goes_below_zero()
    {
        foreach (var s in Cases())
        {
            var program = StepCompiler.Compile(s, compact: false);
            var trace = program.Trace(128, 64).ToList();
            Assert.True(trace[0].TotalBytes == trace[^1].TotalBytes, $"{s.Model.Name} {s.Optimizer.Spec.Name} {s.Parallel} {s.Precision}");
            Assert.All(trace, x => Assert.True(x.TotalBytes >= 0, x.Label));
        }
    }

    [Fact]
    public void Compaction_and_repetition_keep_the_peak_and_the_breakdown()
    {
        foreach (var s in Cases())
            foreach (var rounding in Enum.GetValues<AllocationRounding>())
            {
                var full = StepCompiler.Compile(s, rounding, compact: false);
                var compact = StepCompiler.Compile(s, rounding);
                foreach (var (t, q) in new[] { (64L, 64L), (8192L, 1024L) })
                {
                    var a = full.Evaluate(t, q);
                    var b = compact.Evaluate(t, q);
                    Assert.Equal(a.PeakBytes, b.PeakBytes);
                    Assert.Equal(a.AtPeak.Gradients, b.AtPeak.Gradients);
                    Assert.Equal(a.AtPeak.Weights, b.AtPeak.Weights);
                    Assert.Equal(full.Trace(t, q).Max(x => x.TotalBytes), a.PeakBytes);
                }
            }
    }

    [Fact]
    public void Sharding_over_more_gpus_never_raises_the_peak()
    {
        foreach (var strategy in new[] { Strategies.Zero1, Strategies.Zero2, Strategies.Zero3, Strategies.Fsdp })
        {
            long previous = long.MaxValue;
            foreach (int n in new[] { 2, 3, 4, 5, 8, 16, 64 })
            {
                long peak = StepCompiler.Compile(Step("llama-60m", "adamw", n, strategy), AllocationRounding.CudaReserved).PeakBytes(512, 256);
                Assert.True(peak <= previous, $"{strategy.Name} at {n} GPUs: {peak} > {previous}");
                previous = peak;
            }
        }
    }
}
