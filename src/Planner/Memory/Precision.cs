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
    /// <summary>FP16 mixed precision, as Hugging Face's <c>fp16=True</c> runs it (<c>torch.autocast(dtype=float16)</c> with a
    /// <c>torch.amp.GradScaler</c>): the same tensors as <see cref="Mixed"/> — FP32 master weights, gradients and states,
    /// FP16 weight copies and matmul outputs, FP32 residual stream. Loss scaling adds no tensor worth modelling: the scale
    /// and the found-inf flag are one-element tensors, and <c>unscale_</c> works in place on the gradients
    /// (<c>torch._amp_foreach_non_finite_check_and_unscale_</c>).</summary>
    Fp16,
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

    /// <summary>Whether forward makes a 16-bit copy of each weight for its matmul (autocast's cast).</summary>
    public bool CastsWeights => Mode is PrecisionMode.Mixed or PrecisionMode.Fp16;

    /// <summary>Whether the run computes in bfloat16 (which needs compute capability 8.0; fp16 and fp32 do not).</summary>
    public bool UsesBf16 => Mode is PrecisionMode.Bf16 or PrecisionMode.Mixed;

    /// <summary>Parses <c>bf16</c>, <c>fp32</c>, <c>mixed</c> (bf16 autocast) or <c>fp16</c> (fp16 autocast with loss scaling).</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => new(PrecisionMode.Bf16),
        "fp32" or "float32" => new(PrecisionMode.Fp32),
        "mixed" or "amp" or "mixed-bf16" or "bf16-mixed" => new(PrecisionMode.Mixed),
        "fp16" or "float16" or "half" or "mixed-fp16" or "fp16-mixed" => new(PrecisionMode.Fp16),
        _ => throw new PlannerInputException($"unknown dtype '{text}': use bf16, fp32, mixed or fp16"),
    };

    /// <summary>Lower-case name as the CLI spells it.</summary>
    public string Name => Mode switch
    {
        PrecisionMode.Bf16 => "bf16",
        PrecisionMode.Fp32 => "fp32",
        PrecisionMode.Mixed => "mixed",
        PrecisionMode.Fp16 => "fp16",
        _ => throw new InvalidOperationException($"unknown precision mode {Mode}"),
    };

    public override string ToString() => Name;
}
