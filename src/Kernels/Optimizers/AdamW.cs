using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, arXiv 1711.05101), as <c>torch.optim.AdamW</c> computes it and as Hugging
/// Face's <c>adamw</c> (<c>adamw_torch</c>) creates it. States <c>exp_avg</c>/<c>exp_avg_sq</c> in the gradient's
/// dtype; the only transient is <c>denom</c>, then <c>W.addcdiv_</c>. No projection: see <see cref="GaLoreAdamW"/>.
/// </summary>
public sealed class AdamW : ProjectedOptimizer<AdamWOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (default 1e-3, torch's; Hugging Face passes its own).</param>
    /// <param name="beta1">β1 (default 0.9, HF <c>adam_beta1</c>).</param>
    /// <param name="beta2">β2 (default 0.999, HF <c>adam_beta2</c>).</param>
    /// <param name="eps">ε (default 1e-8, HF <c>adam_epsilon</c>).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, HF <c>weight_decay</c>; torch's own default is 0.01).</param>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0)
        : this([GaLoreGroups.Regular<AdamWOptions>(Loaded(parameters))], lr, beta1, beta2, eps, weight_decay) { }

    /// <summary>Creates the optimizer over parameter groups (options left null take the defaults below).</summary>
    /// <param name="groups">Parameter groups (options left null take the defaults).</param>
    /// <param name="lr">Learning rate (default 1e-3, torch's; Hugging Face passes its own).</param>
    /// <param name="beta1">β1 (default 0.9, HF <c>adam_beta1</c>).</param>
    /// <param name="beta2">β2 (default 0.999, HF <c>adam_beta2</c>).</param>
    /// <param name="eps">ε (default 1e-8, HF <c>adam_epsilon</c>).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, HF <c>weight_decay</c>; torch's own default is 0.01).</param>
    public AdamW(IEnumerable<ParamGroup<AdamWOptions>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0)
        : base(groups, DefaultOptions(lr, beta1, beta2, eps, weight_decay), AdamWRule.Torch, allowProjection: false) { }

    internal static AdamWOptions DefaultOptions(double lr, double beta1, double beta2, double eps, double weight_decay) =>
        new() { LearningRate = lr, InitialLearningRate = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay };

    internal static IEnumerable<Parameter> Loaded(IEnumerable<Parameter> parameters)
    {
        TorchNativeLoader.EnsureLoaded();
        return parameters ?? throw new ArgumentNullException(nameof(parameters));
    }
}
