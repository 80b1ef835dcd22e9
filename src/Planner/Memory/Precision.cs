namespace GaLore.Planner.Memory;

/// <summary>How a training run stores weights, gradients and activations.</summary>
public enum PrecisionMode
{
    /// <summary>Pure BF16: weights, gradients, activations and AdamW states in BF16 — the setting of
    /// the GaLore paper's memory estimates (arXiv 2403.03507, §5 and Fig. 1).</summary>
    Bf16,
    /// <summary>Everything in FP32.</summary>
    Fp32,
    /// <summary>Mixed precision (Micikevicius et al. 2018, arXiv 1710.03740): FP32 master weights,
    /// gradients and states; BF16 copies of the weights and BF16 matmul outputs in forward/backward;
    /// the residual stream stays FP32 (autocast keeps additions in the widest input type).</summary>
    Mixed,
}

/// <summary>Bytes per element of each kind of tensor under a <see cref="PrecisionMode"/>.</summary>
public readonly record struct Precision(PrecisionMode Mode)
{
    /// <summary>Stored weight (the master copy under mixed precision).</summary>
    public int WeightBytes => Mode == PrecisionMode.Bf16 ? 2 : 4;

    /// <summary>Parameter gradient (<c>.grad</c> has the parameter's dtype).</summary>
    public int GradientBytes => WeightBytes;

    /// <summary>Matmul inputs/outputs and other low-precision activations.</summary>
    public int ActivationBytes => Mode == PrecisionMode.Fp32 ? 4 : 2;

    /// <summary>The residual stream (embedding output, block inputs and outputs).</summary>
    public int ResidualBytes => Mode == PrecisionMode.Bf16 ? 2 : 4;

    /// <summary>Whether forward makes a BF16 copy of each weight for its matmul (autocast's cast).</summary>
    public bool CastsWeights => Mode == PrecisionMode.Mixed;

    /// <summary>Parses <c>bf16</c>, <c>fp32</c> or <c>mixed</c>.</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => new(PrecisionMode.Bf16),
        "fp32" or "float32" => new(PrecisionMode.Fp32),
        "mixed" or "amp" => new(PrecisionMode.Mixed),
        _ => throw new PlannerInputException($"unknown dtype '{text}': use bf16, fp32 or mixed"),
    };

    /// <summary>Lower-case name as the CLI spells it.</summary>
    public string Name => Mode switch
    {
        PrecisionMode.Bf16 => "bf16",
        PrecisionMode.Fp32 => "fp32",
        PrecisionMode.Mixed => "mixed",
        _ => throw new InvalidOperationException($"unknown precision mode {Mode}"),
    };

    public override string ToString() => Name;
}
