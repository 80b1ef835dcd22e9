using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// Adafactor (Shazeer &amp; Stern 2018, arXiv 1804.04235) as <c>transformers.Adafactor</c> computes it and as Hugging
/// Face's <c>adafactor</c> creates it (<c>scale_parameter=False, relative_step=False</c>, so the learning rate is
/// the one given). Float32 states: row and column second moments for ≥2-D tensors, a full second moment for vectors,
/// <c>exp_avg</c> only when β1 is set. Relative steps and warm-up init are not implemented (HF turns them off).
/// No projection: see <see cref="GaLoreAdafactor"/>.
/// </summary>
public sealed class Adafactor : ProjectedOptimizer<AdafactorOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (required: HF always passes one).</param>
    /// <param name="eps1">ε1 added to G² (default 1e-30).</param>
    /// <param name="eps2">ε2, the floor of the parameter scale (default 1e-3).</param>
    /// <param name="clip_threshold">d, the update-RMS clip (default 1.0).</param>
    /// <param name="decay_rate">c in β2(t) = 1 − t^c (default −0.8).</param>
    /// <param name="beta1">β1 of the optional first moment (default null: none).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    /// <param name="scale_parameter">Scale lr by max(ε2, RMS(W)) (default false, what HF passes; transformers' own default is true).</param>
    public Adafactor(IEnumerable<Parameter> parameters, double lr, double eps1 = 1e-30, double eps2 = 1e-3, double clip_threshold = 1.0,
        double decay_rate = -0.8, double? beta1 = null, double weight_decay = 0, bool scale_parameter = false)
        : this([GaLoreGroups.Regular<AdafactorOptions>(AdamW.Loaded(parameters))], lr, eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay, scale_parameter) { }

    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups (options left null take the defaults).</param>
    /// <param name="lr">Learning rate (required: HF always passes one).</param>
    /// <param name="eps1">ε1 added to G² (default 1e-30).</param>
    /// <param name="eps2">ε2, the floor of the parameter scale (default 1e-3).</param>
    /// <param name="clip_threshold">d, the update-RMS clip (default 1.0).</param>
    /// <param name="decay_rate">c in β2(t) = 1 − t^c (default −0.8).</param>
    /// <param name="beta1">β1 of the optional first moment (default null: none).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    /// <param name="scale_parameter">Scale lr by max(ε2, RMS(W)) (default false, what HF passes; transformers' own default is true).</param>
    public Adafactor(IEnumerable<ParamGroup<AdafactorOptions>> groups, double lr, double eps1 = 1e-30, double eps2 = 1e-3, double clip_threshold = 1.0,
        double decay_rate = -0.8, double? beta1 = null, double weight_decay = 0, bool scale_parameter = false)
        : base(groups, DefaultOptions(lr, eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay, scale_parameter), AdafactorRule.Instance, allowProjection: false) { }

    internal static AdafactorOptions DefaultOptions(double lr, double eps1, double eps2, double clip, double decay, double? beta1, double wd, bool scale) =>
        new()
        {
            LearningRate = lr, InitialLearningRate = lr, eps1 = eps1, eps2 = eps2, clip_threshold = clip, decay_rate = decay,
            beta1 = beta1 ?? double.NaN, weight_decay = wd, scale_parameter = scale,
        };
}
