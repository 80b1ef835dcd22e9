using GaLore.Kernels.Optimizers.Rules;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// GaLore-AdamW (Zhao et al. 2024, arXiv 2403.03507, Alg. 2; <c>galore_torch.GaLoreAdamW</c>, Hugging Face
/// <c>galore_adamw</c>). GaLore groups (options with <c>galore</c> set) project each 2-D weight's gradient,
/// R = project(G), run Adam on R with R-shaped states in the gradient's dtype, and apply
/// W += −step·scale·back(m/denom) with <c>addmm_</c>; other groups are plain AdamW. The step follows
/// <c>transformers.AdamW</c> (ε added to √v before bias correction), which the reference copies.
/// Transients per projected weight: R, <c>denom</c> (turned into N in place), and for <c>full</c> one m × r product.
/// </summary>
public sealed class GaLoreAdamW : ProjectedOptimizer<AdamWOptions>
{
    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups; set <c>galore</c> on a group's options to project it (see <see cref="GaLoreGroups"/>).</param>
    /// <param name="lr">Learning rate (default 1e-3, galore_torch's; Hugging Face passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-6, galore_torch's; HF passes only lr to GaLore optimizers).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    public GaLoreAdamW(IEnumerable<ParamGroup<AdamWOptions>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6, double weight_decay = 0)
        : base(groups, AdamW.DefaultOptions(lr, beta1, beta2, eps, weight_decay), AdamWRule.Transformers, allowProjection: true) { }

    /// <summary>Creates the optimizer with HF's two groups: <paramref name="regular"/> and the <paramref name="projected"/> weights.</summary>
    /// <param name="regular">Parameters updated by plain AdamW.</param>
    /// <param name="projected">2-D weights GaLore projects.</param>
    /// <param name="settings">rank, update_proj_gap, scale, proj_type.</param>
    /// <param name="refresh">Projector refresh method (default SVD).</param>
    /// <param name="lr">Learning rate (default 1e-3, galore_torch's; Hugging Face passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-6, galore_torch's; HF passes only lr to GaLore optimizers).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    public GaLoreAdamW(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected, GaLoreSettings settings, double lr = 1e-3,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6, double weight_decay = 0, SubspaceRefresh? refresh = null)
        : this(GaLoreGroups.Split<AdamWOptions>(AdamW.Loaded(regular), projected, settings, refresh), lr, beta1, beta2, eps, weight_decay) { }
}
