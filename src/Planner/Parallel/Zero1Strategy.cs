using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed ZeRO stage 1, P_os (Rajbhandari et al. 2020, arXiv 1910.02054, §5.1 and Figure 1): optimizer states — the fp32
/// master weights with Adam's m and v, K = 12 bytes per parameter — are partitioned over the N GPUs; 16-bit weights and
/// gradients stay whole on every GPU: 2Ψ + 2Ψ + KΨ/N = 4Ψ + 12Ψ/N per GPU. Gradients are kept whole through backward (no
/// gradient hooks below stage 2) and reduced at the accumulation boundary, after backward (<see cref="Zero12Step"/>).
/// </summary>
public sealed class Zero1Strategy(ZeroConfig config) : ShardingStrategy
{
    /// <summary>The ZeRO settings.</summary>
    public ZeroConfig Config { get; } = config;

    public override string Name => "zero1";
    public override string Engine => "DeepSpeed ZeRO stage 1";
    public override bool Shards => true;
    public override bool Offers(OffloadMode offload) => offload != OffloadMode.OptimizerAndParams;
    public override TrainingLayout Layout(Precision requested) => ZeroLayouts.For(requested);

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new Zero12Step(1, Config, s, layout, galore, rounding);
}
