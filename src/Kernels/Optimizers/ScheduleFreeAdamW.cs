using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>Schedule-free AdamW's hyperparameters (<c>schedulefree.AdamWScheduleFree</c>).</summary>
public sealed class ScheduleFreeOptions : ScalarOptions
{
    /// <summary>β1: the interpolation between the average x and z that the gradient is taken at.</summary>
    public double? beta1;

    /// <summary>β2 of the second moment.</summary>
    public double? beta2;

    /// <summary>ε, added to the denominator.</summary>
    public double? eps;

    /// <summary>Linear learning-rate warm-up steps.</summary>
    public double? warmup_steps;

    /// <summary>Polynomial weighting power of the average.</summary>
    public double? r;

    /// <summary>Exponent of the largest lr so far in the averaging weights.</summary>
    public double? weight_lr_power;

    private protected override double?[] Read() => [beta1, beta2, eps, warmup_steps, r, weight_lr_power];

    private protected override void Write(double?[] v) => (beta1, beta2, eps, warmup_steps, r, weight_lr_power) = (v[0], v[1], v[2], v[3], v[4], v[5]);

    internal override void Validate()
    {
        base.Validate();
        Range("beta1", beta1, 0, 1);
        Range("beta2", beta2, 0, 1);
        Range("eps", eps, 0, double.MaxValue);
        Range("warmup_steps", warmup_steps, 0, double.MaxValue);
    }
}

/// <summary>
/// Schedule-free AdamW (Defazio et al. 2024, arXiv 2405.15682; <c>schedulefree.AdamWScheduleFree</c> 1.4.1, its single-tensor
/// path; Hugging Face <c>schedule_free_adamw</c>). The weight holds y (train mode); states <c>z</c> = a clone of the weight
/// at the first step and <c>exp_avg_sq</c>, both in the weight's dtype. Per step k: the gradient is normalised in place by
/// √(v/(1 − β2ᵏ⁺¹)) + ε, y ← lerp(y, z, c) + lr·(β1(1 − c) − 1)·ĝ, z ← z − lr·ĝ, with c = w/Σw and
/// w = (k + 1)ʳ·lr_maxᵖ. The averaging sums live per parameter (the reference keeps them per group, the same numbers).
/// </summary>
public sealed class ScheduleFreeAdamW : ProjectedOptimizer<ScheduleFreeOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (the library's default 0.0025; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9, HF's adam_beta1).</param>
    /// <param name="beta2">β2 (default 0.999, HF's adam_beta2).</param>
    /// <param name="eps">ε (default 1e-8, HF's adam_epsilon).</param>
    /// <param name="warmup_steps">Warm-up steps (default 0, HF's <c>warmup_steps</c>).</param>
    /// <param name="r">Polynomial weighting power (default 0).</param>
    /// <param name="weight_lr_power">Exponent of lr_max in the weights (default 2.0).</param>
    /// <param name="weight_decay">Weight decay taken at y (default 0, HF's <c>weight_decay</c>).</param>
    public ScheduleFreeAdamW(IEnumerable<Parameter> parameters, double lr = 0.0025, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        int warmup_steps = 0, double r = 0, double weight_lr_power = 2.0, double weight_decay = 0)
        : base([GaLoreGroups.Regular<ScheduleFreeOptions>(AdamW.Loaded(parameters))],
            new ScheduleFreeOptions
            {
                LearningRate = lr, InitialLearningRate = lr, beta1 = beta1, beta2 = beta2, eps = eps, warmup_steps = warmup_steps, r = r,
                weight_lr_power = weight_lr_power, weight_decay = weight_decay,
            },
            ScheduleFreeAdamWRule.Instance, allowProjection: false) { }
}
