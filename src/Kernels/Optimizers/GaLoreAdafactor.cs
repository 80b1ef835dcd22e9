using GaLore.Kernels.Optimizers.Rules;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// GaLore with Adafactor (Zhao et al. 2024, arXiv 2403.03507; <c>galore_torch.GaLoreAdafactor</c>, Hugging Face
/// <c>galore_adafactor</c> with <c>scale_parameter=False, relative_step=False</c>). Projected weights keep a float32
/// projector and factored float32 second moments of R's shape (row: R's rows, column: R's columns). R is computed in
/// the gradient's dtype and then upcast; for bf16 weights the update and projector are cast to bf16 for <c>addmm_</c>.
/// </summary>
public sealed class GaLoreAdafactor : ProjectedOptimizer<AdafactorOptions>
{
    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups; set <c>galore</c> on a group's options to project it.</param>
    /// <param name="lr">Learning rate (required: HF always passes one).</param>
    /// <param name="eps1">ε1 added to G² (default 1e-30).</param>
    /// <param name="eps2">ε2, the floor of the parameter scale (default 1e-3).</param>
    /// <param name="clip_threshold">d, the update-RMS clip (default 1.0).</param>
    /// <param name="decay_rate">c in β2(t) = 1 − t^c (default −0.8).</param>
    /// <param name="beta1">β1 of the optional first moment (default null: none).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    /// <param name="scale_parameter">Scale lr by max(ε2, RMS(W)) (default false, what HF passes; transformers' own default is true).</param>
    public GaLoreAdafactor(IEnumerable<ParamGroup<AdafactorOptions>> groups, double lr, double eps1 = 1e-30, double eps2 = 1e-3,
        double clip_threshold = 1.0, double decay_rate = -0.8, double? beta1 = null, double weight_decay = 0, bool scale_parameter = false)
        : base(groups, Adafactor.DefaultOptions(lr, eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay, scale_parameter), AdafactorRule.Instance, allowProjection: true) { }

    /// <summary>Creates the optimizer with HF's two groups.</summary>
    /// <param name="regular">Parameters updated by plain Adafactor.</param>
    /// <param name="projected">2-D weights GaLore projects.</param>
    /// <param name="settings">rank, update_proj_gap, scale, proj_type.</param>
    /// <param name="refresh">Projector refresh method (default SVD).</param>
    /// <param name="lr">Learning rate (required: HF always passes one).</param>
    /// <param name="eps1">ε1 added to G² (default 1e-30).</param>
    /// <param name="eps2">ε2, the floor of the parameter scale (default 1e-3).</param>
    /// <param name="clip_threshold">d, the update-RMS clip (default 1.0).</param>
    /// <param name="decay_rate">c in β2(t) = 1 − t^c (default −0.8).</param>
    /// <param name="beta1">β1 of the optional first moment (default null: none).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    /// <param name="scale_parameter">Scale lr by max(ε2, RMS(W)) (default false, what HF passes; transformers' own default is true).</param>
    public GaLoreAdafactor(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected, GaLoreSettings settings, double lr,
        double eps1 = 1e-30, double eps2 = 1e-3, double clip_threshold = 1.0, double decay_rate = -0.8, double? beta1 = null,
        double weight_decay = 0, bool scale_parameter = false, SubspaceRefresh? refresh = null)
        : this(GaLoreGroups.Split<AdafactorOptions>(AdamW.Loaded(regular), projected, settings, refresh), lr, eps1, eps2, clip_threshold,
            decay_rate, beta1, weight_decay, scale_parameter) { }
}
