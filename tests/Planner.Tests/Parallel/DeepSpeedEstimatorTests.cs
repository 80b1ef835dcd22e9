using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>
/// The planner against DeepSpeed's own model-state estimators (0.16.5), translated line by line:
/// <c>estimate_zero2_model_states_mem_needs</c> (<c>stage_1_and_2.py</c>) and <c>estimate_zero3_model_states_mem_needs</c>
/// (<c>stage3.py</c>), without their 1.5 buffer factor. They count model states only (no buckets, activations or the step's
/// temporaries).
/// </summary>
public class DeepSpeedEstimatorTests
{
    /// <summary>(cpu, gpu) bytes, <c>additional_buffer_factor</c> = 1.</summary>
    static (long Cpu, long Gpu) EstimateZero2(long psi, int gpus, bool cpuOffload) => cpuOffload
        ? (psi * Math.Max(4L * gpus, 16), 2 * psi)
        : (psi * 4 * gpus, 2 * psi + 18 * psi / gpus);   // "2 = params_16bit, 18 = 2_grads_16bit + 4_grads_32bit + 4_params_32bit + 8_optimizer_states_32bit"

    static (long Cpu, long Gpu) EstimateZero3(long psi, long largestLayer, int gpus, bool cpuOffload, bool cpuOffloadParams)
    {
        long largest = 4 * largestLayer;
        if (cpuOffload && cpuOffloadParams) return (psi * 18, largest);   // zero_init, one node
        if (cpuOffload) return (psi * 16, largest + 2 * psi / gpus);
        return (largestLayer * 4 * gpus, largest + 18 * psi / gpus);
    }

    static readonly ShardingStrategy Zero3NoPersistence = new Zero3Strategy(ZeroConfig.Default with { ParamPersistenceThreshold = 0 });

    [Fact]
    public void Zero2_without_offload_matches_at_the_optimizer_step()
    {
        // At the step DeepSpeed holds the 16-bit weights, the 16-bit and the fp32 gradient partitions, the fp32 master and m, v.
        // The planner's model states plus the step's fp32 gradient partition are that, with grads_in_partition counted whole
        // parameter by parameter (N = 2: 192 instead of 160 norm elements, +64 bytes).
        var s = Tiny_("adamw", 2, Strategies.Zero2);
        var m = ParallelSummary.Of(s).ModelStates;
        long fp32Gradient = 4 * TinyPsi / 2;
        Assert.Equal(EstimateZero2(TinyPsi, 2, false).Gpu + 2 * 32, m.Weights + m.Gradients + m.OptimizerStates + fp32Gradient);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Zero2_with_offload_keeps_16_bit_weights_on_the_gpu_and_16_bytes_per_parameter_on_the_host(int n)
    {
        var summary = ParallelSummary.Of(Tiny_("adamw", n, Strategies.Zero2, OffloadMode.Optimizer));
        var (cpu, gpu) = EstimateZero2(TinyPsi, n, true);
        Assert.Equal(gpu, summary.ModelStates.Weights + summary.ModelStates.Gradients + summary.ModelStates.OptimizerStates);
        // fp32 master 4 + m, v 8 + the pinned fp32 gradient buffer 4 per parameter, over all N processes: 16Ψ (the estimator's
        // max(4·gpus, 16)·Ψ with 4 · gpus ≤ 16, i.e. before each process loading a whole fp32 copy counts).
        Assert.Equal(cpu, summary.HostBytesTotal);
    }

    [Fact]
    public void Zero3_counts_both_16_bit_partitions_where_the_estimator_counts_one()
    {
        // estimate_zero3's 18Ψ/N mirrors stage 2's comment (2 + 4 + 4 + 8); stage 3 partitions the 16-bit weights too, so the
        // planner's per-GPU states at the step are 2 + 2 + 4 + 4 + 8 = 20 bytes per Ψ/N — the estimator's 18 plus the 16-bit
        // weight partition — and the gathered layer is the coordinator's business, not a constant 4 × largest layer.
        const int n = 4;
        var m = ParallelSummary.Of(Tiny_("adamw", n, Zero3NoPersistence)).ModelStates;
        long fp32Gradient = 4 * TinyPsi / n;
        long largest = 512 * 64;
        var (_, gpu) = EstimateZero3(TinyPsi, largest, n, false, false);
        Assert.Equal(gpu - 4 * largest + 2 * TinyPsi / n, m.Weights + m.Gradients + m.OptimizerStates + fp32Gradient);
    }

    [Fact]
    public void Zero3_offload_leaves_the_16_bit_partition_or_nothing_on_the_gpu()
    {
        const int n = 4;
        long largest = 512 * 64;
        var opt = ParallelSummary.Of(Tiny_("adamw", n, Zero3NoPersistence, OffloadMode.Optimizer));
        Assert.Equal(EstimateZero3(TinyPsi, largest, n, true, false).Gpu - 4 * largest,
            opt.ModelStates.Weights + opt.ModelStates.Gradients + opt.ModelStates.OptimizerStates);
        // Host: master 4 + states 8 + fp32 gradients 4 (the estimator's 16) + the 16-bit gradient partitions 2, which
        // grad_partitions_flat_buffer keeps on the offload device.
        Assert.Equal(EstimateZero3(TinyPsi, largest, n, true, false).Cpu + 2 * TinyPsi, opt.HostBytesTotal);

        var all = ParallelSummary.Of(Tiny_("adamw", n, Zero3NoPersistence, OffloadMode.OptimizerAndParams));
        Assert.Equal(EstimateZero3(TinyPsi, largest, n, true, true).Gpu - 4 * largest,
            all.ModelStates.Weights + all.ModelStates.Gradients + all.ModelStates.OptimizerStates);
        Assert.Equal(EstimateZero3(TinyPsi, largest, n, true, true).Cpu + 2 * TinyPsi, all.HostBytesTotal);
    }
}
