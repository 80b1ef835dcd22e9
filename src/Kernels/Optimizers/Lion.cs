using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>Lion's hyperparameters.</summary>
public sealed class LionOptions : ScalarOptions
{
    /// <summary>β1: interpolation of the update direction.</summary>
    public double? beta1;

    /// <summary>β2: the momentum's decay.</summary>
    public double? beta2;

    private protected override double?[] Read() => [beta1, beta2];

    private protected override void Write(double?[] v) => (beta1, beta2) = (v[0], v[1]);

    internal override void Validate()
    {
        base.Validate();
        Range("beta1", beta1, 0, 1);
        Range("beta2", beta2, 0, 1);
    }
}

/// <summary>
/// Lion (Chen et al. 2023, arXiv 2302.06675, Alg. 2) as bitsandbytes' 32-bit <c>Lion</c> keeps it (Hugging Face
/// <c>lion_32bit</c>): one float32 momentum <c>state1</c> whatever the parameter's dtype; W ← W·(1 − lr·wd) −
/// lr·sign(β1·m + (1 − β1)·g), then m ← β2·m + (1 − β2)·g. Worked through in chunks (<see cref="Rules.LionRule"/>).
/// </summary>
public sealed class Lion : ProjectedOptimizer<LionOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (bitsandbytes' default 1e-4; HF passes its own).</param>
    /// <param name="beta1">β1 (HF passes adam_beta1, default 0.9).</param>
    /// <param name="beta2">β2 (HF passes adam_beta2, default 0.999; bitsandbytes' own default is 0.99).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, HF's <c>weight_decay</c>).</param>
    public Lion(IEnumerable<Parameter> parameters, double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.999, double weight_decay = 0)
        : base([GaLoreGroups.Regular<LionOptions>(AdamW.Loaded(parameters))],
            new LionOptions { LearningRate = lr, InitialLearningRate = lr, beta1 = beta1, beta2 = beta2, weight_decay = weight_decay },
            LionRule.Instance, allowProjection: false) { }
}
