using GaLore.Planner.Memory;

namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed's dtypes under ZeRO (<c>runtime/engine.py</c> <c>get_data_types</c>, <c>zero/stage_1_and_2.py</c>,
/// <c>zero/stage3.py</c>). With <c>bf16.enabled</c> the module is cast to bf16 — weights, activations and gradients are bf16
/// (gradient accumulation in bf16 too: <c>grad_accum_dtype</c> defaults to the model dtype under ZeRO) — and the optimizer
/// steps an fp32 master partition (<c>clone().float()</c> of the 16-bit partition), so its states are fp32: Rajbhandari et al.
/// 2020 (arXiv 1910.02054) §3's mixed-precision layout, 2 + 2 + K bytes per parameter with K = 12 for Adam. There is no pure-bf16
/// ZeRO: the planner's <c>bf16</c> and <c>mixed</c> both map to it. Without bf16 (<c>fp32</c>) weights and gradients are fp32 and
/// the master partition is an fp32 clone.
/// </summary>
internal static class ZeroLayouts
{
    static readonly Precision Bf16 = new(PrecisionMode.Bf16), Fp32 = new(PrecisionMode.Fp32);

    /// <summary>The layout for the precision the user asked for.</summary>
    public static TrainingLayout For(Precision requested) => requested.Mode switch
    {
        PrecisionMode.Fp32 => new TrainingLayout(Fp32, 4, 4, 4, 4, Fp32, 4, "DeepSpeed fp32: fp32 weights and gradients, an fp32 master copy of each partition, fp32 optimizer states"),
        // fp16.enabled: the same bytes as bf16 (a 16-bit module, fp32 master and states), with DeepSpeed's loss scaler.
        PrecisionMode.Fp16 => new TrainingLayout(Bf16, 2, 2, 2, 4, Fp32, 2,
            "DeepSpeed fp16: fp16 weights and gradients, fp32 master weights and fp32 optimizer states (ZeRO's K = 12 for AdamW), dynamic loss scaling"),
        PrecisionMode.Bf16 or PrecisionMode.Mixed => new TrainingLayout(Bf16, 2, 2, 2, 4, Fp32, 2,
            "DeepSpeed bf16: bf16 weights and gradients, fp32 master weights and fp32 optimizer states (ZeRO's K = 12 for AdamW)"),
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested.Mode, "unknown precision mode"),
    };
}
