using GaLore.Kernels.Optimizers.Rules;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// GaLore with 8-bit AdamW (Zhao et al. 2024, arXiv 2403.03507, GaLore with 8-bit optimizers; <c>galore_torch.GaLoreAdamW8bit</c>,
/// Hugging Face <c>galore_adamw_8bit</c>): the base 8-bit rule runs on the projected gradient R, so its quantized
/// states have R's size (float32 states when R has under 4096 elements). N is collected chunk by chunk and projected
/// back with one <c>addmm_</c>; unlike the reference, the weight is never cloned.
/// </summary>
public sealed class GaLoreAdamW8bit : ProjectedOptimizer<AdamWOptions>
{
    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups; set <c>galore</c> on a group's options to project it.</param>
    /// <param name="lr">Learning rate (default 1e-3; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8, galore_torch's).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0.01, galore_torch's; HF passes only lr, so both groups get it).</param>
    public GaLoreAdamW8bit(IEnumerable<ParamGroup<AdamWOptions>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0.01)
        : base(groups, AdamW.DefaultOptions(lr, beta1, beta2, eps, weight_decay), AdamW8bitRule.Instance, allowProjection: true) { }

    /// <summary>Creates the optimizer with HF's two groups.</summary>
    /// <param name="regular">Parameters updated by plain 8-bit AdamW.</param>
    /// <param name="projected">2-D weights GaLore projects.</param>
    /// <param name="settings">rank, update_proj_gap, scale, proj_type.</param>
    /// <param name="refresh">Projector refresh method (default SVD).</param>
    /// <param name="lr">Learning rate (default 1e-3; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8, galore_torch's).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0.01, galore_torch's; HF passes only lr, so both groups get it).</param>
    public GaLoreAdamW8bit(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected, GaLoreSettings settings, double lr = 1e-3,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0.01, SubspaceRefresh? refresh = null)
        : this(GaLoreGroups.Split<AdamWOptions>(AdamW.Loaded(regular), projected, settings, refresh), lr, beta1, beta2, eps, weight_decay) { }
}
