using GaLore.Planner.Memory;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// The dtypes one <see cref="Precision"/> mode gives each kind of tensor, exactly as the planner's
/// <see cref="Precision"/> counts their bytes: stored weights (and their gradients), matmul inputs/outputs
/// ("activations"), and the residual stream (embedding output, block inputs and outputs).
/// </summary>
/// <param name="Weight">Dtype of the stored parameters (the master copy under mixed precision).</param>
/// <param name="Activation">Dtype of projections, attention, MLP and norm outputs.</param>
/// <param name="Residual">Dtype of the residual stream.</param>
/// <param name="CastsWeights">Mixed precision: every linear casts its weight (and a float32 input) to
/// bfloat16 for the matmul, as <c>torch.autocast</c> does (Micikevicius et al. 2018, arXiv 1710.03740).</param>
public readonly record struct ModelDTypes(ScalarType Weight, ScalarType Activation, ScalarType Residual, bool CastsWeights)
{
    /// <summary>The dtypes of a precision mode: fp32 = all float32; bf16 = all bfloat16;
    /// mixed = float32 weights and residual stream, bfloat16 matmuls and norm outputs; fp16 = the same with float16.</summary>
    public static ModelDTypes For(Precision precision) => precision.Mode switch
    {
        PrecisionMode.Fp32 => new(ScalarType.Float32, ScalarType.Float32, ScalarType.Float32, false),
        PrecisionMode.Bf16 => new(ScalarType.BFloat16, ScalarType.BFloat16, ScalarType.BFloat16, false),
        PrecisionMode.Mixed => new(ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float32, true),
        PrecisionMode.Fp16 => new(ScalarType.Float32, ScalarType.Float16, ScalarType.Float32, true),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision.Mode, "unknown precision mode"),
    };
}
