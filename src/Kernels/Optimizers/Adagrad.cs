using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>Adagrad's hyperparameters (<c>torch.optim.Adagrad</c>).</summary>
public sealed class AdagradOptions : ScalarOptions
{
    /// <summary>Learning-rate decay per step.</summary>
    public double? lr_decay;

    /// <summary>Initial value of the sum of squares.</summary>
    public double? initial_accumulator_value;

    /// <summary>ε, added to the denominator.</summary>
    public double? eps;

    private protected override double?[] Read() => [lr_decay, initial_accumulator_value, eps];

    private protected override void Write(double?[] v) => (lr_decay, initial_accumulator_value, eps) = (v[0], v[1], v[2]);

    internal override void Validate()
    {
        base.Validate();
        Range("lr_decay", lr_decay, 0, double.MaxValue);
        Range("initial_accumulator_value", initial_accumulator_value, 0, double.MaxValue);
        Range("eps", eps, 0, double.MaxValue);
    }
}

/// <summary>
/// Adagrad (Duchi, Hazan &amp; Singer 2011) as <c>torch.optim.Adagrad</c> computes it (Hugging Face <c>adagrad</c>): the sum of
/// squared gradients <c>sum</c> (the parameter's dtype, full size), clr = lr / (1 + (t − 1)·lr_decay), W −= clr·g/(√sum + ε).
/// Transient: <c>std</c> only.
/// </summary>
public sealed class Adagrad : ProjectedOptimizer<AdagradOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (torch's default 1e-2; HF passes its own).</param>
    /// <param name="lr_decay">Learning-rate decay (default 0).</param>
    /// <param name="initial_accumulator_value">Initial sum (default 0).</param>
    /// <param name="eps">ε (default 1e-10).</param>
    /// <param name="weight_decay">L2 weight decay (default 0, HF's <c>weight_decay</c>).</param>
    public Adagrad(IEnumerable<Parameter> parameters, double lr = 1e-2, double lr_decay = 0, double initial_accumulator_value = 0, double eps = 1e-10,
        double weight_decay = 0)
        : base([GaLoreGroups.Regular<AdagradOptions>(AdamW.Loaded(parameters))],
            new AdagradOptions { LearningRate = lr, InitialLearningRate = lr, lr_decay = lr_decay, initial_accumulator_value = initial_accumulator_value, eps = eps, weight_decay = weight_decay },
            AdagradRule.Instance, allowProjection: false) { }
}
