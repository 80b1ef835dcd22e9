using GaLore.Kernels.Optimizers.Rules;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers;

/// <summary>APOLLO's hyperparameters (<c>apollo_torch.APOLLOAdamW</c>).</summary>
public sealed class ApolloOptions : ScalarOptions
{
    /// <summary>β1.</summary>
    public double? beta1;

    /// <summary>β2.</summary>
    public double? beta2;

    /// <summary>ε, added to √v (transformers' convention).</summary>
    public double? eps;

    /// <summary>Tensor-wise (1, APOLLO-Mini) or channel-wise (0) gradient scaling.</summary>
    public double? tensor_scaling;

    private protected override double?[] Read() => [beta1, beta2, eps, tensor_scaling];

    private protected override void Write(double?[] v) => (beta1, beta2, eps, tensor_scaling) = (v[0], v[1], v[2], v[3]);

    internal override void Validate()
    {
        base.Validate();
        Range("beta1", beta1, 0, 1);
        Range("beta2", beta2, 0, 1);
        Range("eps", eps, 0, double.MaxValue);
        if (galore is { } g && tensor_scaling == 0 && g.ProjType != ProjectionType.Std)
            throw new ArgumentException("APOLLO's channel-wise scaling needs proj_type std");
    }
}

/// <summary>
/// APOLLO (Zhu et al. 2024, arXiv 2412.05270; <c>apollo_torch.APOLLOAdamW</c>, Hugging Face <c>apollo_adamw</c>). Groups with
/// <c>galore</c> set are APOLLO groups: each 2-D weight's gradient is projected by a seeded Gaussian matrix
/// (<see cref="SubspaceRefresh.Gaussian"/>, regenerated every <c>update_proj_gap</c> steps; or an SVD with
/// <c>proj=svd</c>), AdamW moments are kept for the projection R, and the full gradient is scaled channel- or tensor-wise by
/// ‖N‖/‖R‖ (N = m/(√v + ε)), limited by the norm-growth limiter and applied with <c>scale</c>
/// (<see cref="Rules.ApolloRule"/>). Other groups are transformers-style AdamW. APOLLO-Mini: rank 1, tensor-wise, scale 128.
/// </summary>
public sealed class ApolloAdamW : ProjectedOptimizer<ApolloOptions>
{
    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups; set <c>galore</c> (and <c>refresh</c>) on a group's options to make it an APOLLO group.</param>
    /// <param name="lr">Learning rate (default 1e-3; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-6, apollo_torch's).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0).</param>
    /// <param name="tensorScaling">Tensor-wise scaling (default false: channel-wise).</param>
    public ApolloAdamW(IEnumerable<ParamGroup<ApolloOptions>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6,
        double weight_decay = 0, bool tensorScaling = false)
        : base(groups, new ApolloOptions
        {
            LearningRate = lr, InitialLearningRate = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay, tensor_scaling = tensorScaling ? 1 : 0,
        }, ApolloRule.Instance, allowProjection: true) { }

    /// <summary>Creates the optimizer with Hugging Face's two groups (<c>_get_apollo_optimizer</c>): the regular parameters
    /// with the class defaults (ε 1e-6), and the target weights with the APOLLO knobs and HF's adam kwargs (ε 1e-8).</summary>
    /// <param name="regular">Parameters updated by AdamW.</param>
    /// <param name="projected">2-D weights APOLLO scales.</param>
    /// <param name="settings">rank, update_proj_gap, scale, proj_type.</param>
    /// <param name="lr">Learning rate (HF passes its own).</param>
    /// <param name="tensorScaling">scale_type tensor (APOLLO-Mini) rather than channel.</param>
    /// <param name="refresh">How projectors are remade (default: the seeded Gaussian; <see cref="SubspaceRefresh.Svd"/> for proj=svd).</param>
    public ApolloAdamW(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected, GaLoreSettings settings, double lr = 1e-3,
        bool tensorScaling = false, SubspaceRefresh? refresh = null)
        : this(Groups(regular, projected, settings, tensorScaling, refresh ?? SubspaceRefresh.Gaussian), lr, tensorScaling: tensorScaling) { }

    static IEnumerable<ParamGroup<ApolloOptions>> Groups(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected, GaLoreSettings settings,
        bool tensorScaling, SubspaceRefresh refresh)
    {
        var r = AdamW.Loaded(regular).ToList();
        var p = projected.ToList();
        if (r.Count > 0) yield return new ParamGroup<ApolloOptions>(r, new ApolloOptions());
        if (p.Count > 0)
            yield return new ParamGroup<ApolloOptions>(p, new ApolloOptions
            {
                galore = settings, refresh = refresh, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, tensor_scaling = tensorScaling ? 1 : 0,
            });
    }

    private protected override UpdateSink SinkForProjected(GaLoreProjector projector, Tensor weight, Tensor grad, ScalarType computeType) =>
        new ApolloSink(projector, weight, grad);
}
