using GaLore.Planner.Memory;

namespace GaLore.Planner.Parallel;

/// <summary>
/// The dtypes an engine keeps each kind of tensor in, per element, whatever the user's <c>--dtype</c> asked for: what the
/// op graphs compute in, the stored weights, the gradient backward produces, the sharded gradient kept for the step, a
/// separate fp32 master copy, and the precision the optimizer's states and temporaries follow.
/// </summary>
/// <param name="Compute">Precision of the op graphs (activations; weights during forward and backward).</param>
/// <param name="WeightBytes">Stored weight: the replica, the flat 16-bit copy, or the shard.</param>
/// <param name="GradBytes">The gradient backward produces (full size, before any reduction).</param>
/// <param name="ShardGradBytes">The reduced gradient the engine keeps for the step (its partition or shard).</param>
/// <param name="MasterBytes">A separate master copy of the weights (fp32 under DeepSpeed), 0 when the stored weight is the master.</param>
/// <param name="States">Precision the optimizer's states and temporaries are sized in (DeepSpeed: fp32, its partitions are fp32).</param>
/// <param name="GatherBytes">An all-gathered (unsharded) parameter: ZeRO-3's fetched parameter, FSDP2's <c>param_dtype</c>.</param>
/// <param name="Description">One line for the output, e.g. "bf16 weights and gradients, fp32 master weights and optimizer states".</param>
public sealed record TrainingLayout(Precision Compute, int WeightBytes, int GradBytes, int ShardGradBytes, int MasterBytes, Precision States,
    int GatherBytes, string Description)
{
    /// <summary>The planner's own layout for a precision (one GPU, DDP): weights, gradients and states as <paramref name="p"/> says.</summary>
    public static TrainingLayout Of(Precision p) => new(p, p.WeightBytes, p.GradientBytes, p.GradientBytes, 0, p, p.WeightBytes, p.Mode switch
    {
        PrecisionMode.Bf16 => "pure bf16: weights, gradients and optimizer states in bf16",
        PrecisionMode.Fp32 => "fp32 weights, gradients and optimizer states",
        PrecisionMode.Mixed => "torch autocast: fp32 weights, gradients and states, bf16 matmuls",
        PrecisionMode.Fp16 => "torch autocast fp16: fp32 weights, gradients and states, fp16 matmuls with loss scaling",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p.Mode, "unknown precision mode"),
    });
}
