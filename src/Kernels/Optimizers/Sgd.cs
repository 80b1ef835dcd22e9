using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>SGD's hyperparameters (<c>torch.optim.SGD</c>).</summary>
public sealed class SgdOptions : ScalarOptions
{
    /// <summary>Momentum μ (0: no momentum buffer).</summary>
    public double? momentum;

    /// <summary>Dampening of the gradient added to the momentum.</summary>
    public double? dampening;

    /// <summary>Nesterov momentum (1) or not (0).</summary>
    public double? nesterov;

    private protected override double?[] Read() => [momentum, dampening, nesterov];

    private protected override void Write(double?[] v) => (momentum, dampening, nesterov) = (v[0], v[1], v[2]);

    internal override void Validate()
    {
        base.Validate();
        Range("momentum", momentum, 0, double.MaxValue);
        Range("dampening", dampening, 0, 1.0000001);
        if (nesterov == 1 && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }
}

/// <summary>
/// Stochastic gradient descent as <c>torch.optim.SGD</c> computes it (Hugging Face <c>sgd</c>; also the update LOMO fuses into
/// backward, Lv et al. 2023, arXiv 2306.09782, run from the layerwise tap): with momentum μ the buffer starts as a clone of
/// the first gradient, then b ← μ·b + (1 − dampening)·g; Nesterov steps along g + μ·b; W ← W − lr·step. Weight decay is
/// L2 (added to the gradient), as torch's. State: <c>momentum_buffer</c> (the gradient's dtype) when μ &gt; 0.
/// </summary>
public sealed class Sgd : ProjectedOptimizer<SgdOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (torch's default 1e-3; HF passes its own).</param>
    /// <param name="momentum">μ (default 0, torch's).</param>
    /// <param name="dampening">Dampening (default 0).</param>
    /// <param name="nesterov">Nesterov momentum (default false).</param>
    /// <param name="weight_decay">L2 weight decay (default 0, HF's <c>weight_decay</c>).</param>
    public Sgd(IEnumerable<Parameter> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, bool nesterov = false, double weight_decay = 0)
        : base([GaLoreGroups.Regular<SgdOptions>(AdamW.Loaded(parameters))],
            new SgdOptions { LearningRate = lr, InitialLearningRate = lr, momentum = momentum, dampening = dampening, nesterov = nesterov ? 1 : 0, weight_decay = weight_decay },
            SgdRule.Instance, allowProjection: false) { }
}
