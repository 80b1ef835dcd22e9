using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>RMSprop's hyperparameters (<c>torch.optim.RMSprop</c>).</summary>
public sealed class RmspropOptions : ScalarOptions
{
    /// <summary>Smoothing constant α of the square average.</summary>
    public double? alpha;

    /// <summary>ε, added to the denominator.</summary>
    public double? eps;

    /// <summary>Momentum (0: no buffer).</summary>
    public double? momentum;

    /// <summary>Centered (1) or not (0).</summary>
    public double? centered;

    private protected override double?[] Read() => [alpha, eps, momentum, centered];

    private protected override void Write(double?[] v) => (alpha, eps, momentum, centered) = (v[0], v[1], v[2], v[3]);

    internal override void Validate()
    {
        base.Validate();
        Range("alpha", alpha, 0, 1.0000001);
        Range("eps", eps, 0, double.MaxValue);
        Range("momentum", momentum, 0, double.MaxValue);
    }
}

/// <summary>
/// RMSprop as <c>torch.optim.RMSprop</c> computes it (Hugging Face <c>rmsprop</c>): <c>square_avg</c> ← α·v + (1 − α)·g²;
/// centered: <c>grad_avg</c> ← lerp(g, 1 − α) and the denominator √(v − ḡ²) + ε; with momentum <c>momentum_buffer</c> ← μ·b +
/// g/denominator and W −= lr·b, else W −= lr·g/denominator. States in the parameter's dtype; transient: the denominator.
/// </summary>
public sealed class Rmsprop : ProjectedOptimizer<RmspropOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (torch's default 1e-2; HF passes its own).</param>
    /// <param name="alpha">α (default 0.99).</param>
    /// <param name="eps">ε (default 1e-8).</param>
    /// <param name="momentum">Momentum (default 0).</param>
    /// <param name="centered">Centered RMSprop (default false).</param>
    /// <param name="weight_decay">L2 weight decay (default 0, HF's <c>weight_decay</c>).</param>
    public Rmsprop(IEnumerable<Parameter> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double momentum = 0, bool centered = false,
        double weight_decay = 0)
        : base([GaLoreGroups.Regular<RmspropOptions>(AdamW.Loaded(parameters))],
            new RmspropOptions { LearningRate = lr, InitialLearningRate = lr, alpha = alpha, eps = eps, momentum = momentum, centered = centered ? 1 : 0, weight_decay = weight_decay },
            RmspropRule.Instance, allowProjection: false) { }
}
