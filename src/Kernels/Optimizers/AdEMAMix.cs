using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>AdEMAMix's hyperparameters (bitsandbytes <c>AdEMAMix</c>).</summary>
public sealed class AdEMAMixOptions : ScalarOptions
{
    /// <summary>β1 of the fast EMA.</summary>
    public double? beta1;

    /// <summary>β2 of the second moment.</summary>
    public double? beta2;

    /// <summary>β3 of the slow EMA.</summary>
    public double? beta3;

    /// <summary>Weight α of the slow EMA.</summary>
    public double? alpha;

    /// <summary>ε, added to the denominator.</summary>
    public double? eps;

    /// <summary>Warm-up steps of α (<see cref="double.NaN"/>: none).</summary>
    public double? t_alpha;

    /// <summary>Warm-up steps of β3 (<see cref="double.NaN"/>: none).</summary>
    public double? t_beta3;

    private protected override double?[] Read() => [beta1, beta2, beta3, alpha, eps, t_alpha, t_beta3];

    private protected override void Write(double?[] v) => (beta1, beta2, beta3, alpha, eps, t_alpha, t_beta3) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);

    internal override void Validate()
    {
        base.Validate();
        Range("beta1", beta1, 0, 1);
        Range("beta2", beta2, 0, 1);
        Range("beta3", beta3, 0, 1);
        Range("eps", eps, 0, double.MaxValue);
    }
}

/// <summary>
/// AdEMAMix (Pagliardini, Ablin &amp; Grangier 2024, arXiv 2409.03137, Alg. 1) as bitsandbytes' 32-bit <c>AdEMAMix</c> keeps it
/// (Hugging Face <c>ademamix</c>): float32 <c>state1</c> stacking the fast and slow EMAs m1, m2 (2 × n) and <c>state2</c> = ν;
/// W −= lr·((m1/(1 − β1ᵗ) + α·m2) / (√ν/√(1 − β2ᵗ) + ε)), with optional α and β3 warm-up schedulers. Worked through in
/// chunks (<see cref="Rules.AdEMAMixRule"/>).
/// </summary>
public sealed class AdEMAMix : ProjectedOptimizer<AdEMAMixOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (default 1e-3; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9, HF's adam_beta1).</param>
    /// <param name="beta2">β2 (default 0.999, HF's adam_beta2).</param>
    /// <param name="beta3">β3 (default 0.9999).</param>
    /// <param name="alpha">α (default 5.0).</param>
    /// <param name="eps">ε (default 1e-8, HF's adam_epsilon).</param>
    /// <param name="t_alpha">α's warm-up steps (default none).</param>
    /// <param name="t_beta3">β3's warm-up steps (default none).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, HF's <c>weight_decay</c>).</param>
    public AdEMAMix(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double beta3 = 0.9999,
        double alpha = 5.0, double eps = 1e-8, long? t_alpha = null, long? t_beta3 = null, double weight_decay = 0)
        : base([GaLoreGroups.Regular<AdEMAMixOptions>(AdamW.Loaded(parameters))],
            new AdEMAMixOptions
            {
                LearningRate = lr, InitialLearningRate = lr, beta1 = beta1, beta2 = beta2, beta3 = beta3, alpha = alpha, eps = eps,
                t_alpha = t_alpha ?? double.NaN, t_beta3 = t_beta3 ?? double.NaN, weight_decay = weight_decay,
            },
            AdEMAMixRule.Instance, allowProjection: false) { }
}
