using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed ZeRO stage 2, P_os+g (Rajbhandari et al. 2020, arXiv 1910.02054, §5.2 and Figure 1): optimizer states and
/// gradients are partitioned; 16-bit weights stay whole: 2Ψ + (2 + K)Ψ/N = 2Ψ + 14Ψ/N per GPU. Each gradient is copied into
/// the reduction bucket as soon as it is complete and its own storage freed; reduced partitions land in
/// <c>grads_in_partition</c> (<see cref="Zero12Step"/>). DeepSpeed's <c>estimate_zero2_model_states_mem_needs</c> counts
/// 2Ψ + 18Ψ/N (16-bit and fp32 gradient partitions, fp32 master, m, v) for the optimizer step.
/// </summary>
public sealed class Zero2Strategy(ZeroConfig config) : ShardingStrategy
{
    /// <summary>The ZeRO settings.</summary>
    public ZeroConfig Config { get; } = config;

    public override string Name => "zero2";
    public override string Engine => "DeepSpeed ZeRO stage 2";
    public override bool Shards => true;
    public override bool Offers(OffloadMode offload) => offload != OffloadMode.OptimizerAndParams;
    public override TrainingLayout Layout(Precision requested) => ZeroLayouts.For(requested);

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new Zero12Step(2, Config, s, layout, galore, rounding);
}
