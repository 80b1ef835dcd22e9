using GaLore.Kernels.Layerwise;
using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers;
using GaLore.Kernels.Projection;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Factory;

/// <summary>
/// Builds any Hugging Face <c>optim</c> name of the planner's catalogue that has a kernel (<see cref="KernelCatalog"/>) the way
/// <c>Trainer.get_optimizer_cls_and_kwargs</c> / <c>_get_galore_optimizer</c> do:
/// <list type="bullet">
/// <item>only the learning rate is passed; every other hyperparameter is the class default (see each class);</item>
/// <item>GaLore names: the 2-D weights of Linear modules matched by <c>optim_target_modules</c>
/// (<see cref="OptimizerSetup.SelectGaLore"/>) form the GaLore group with optim_args' rank, update_proj_gap, scale and
/// proj_type; every other parameter forms the regular group;</item>
/// <item><c>_layerwise</c>: one optimizer per parameter with the same groups, driven by a <see cref="LayerwiseUpdater"/>;</item>
/// <item><c>adafactor</c>: <c>scale_parameter=False, relative_step=False</c>; optim_args' <c>beta1</c> adds a first moment;</item>
/// <item>bitsandbytes 8-bit names: <c>nn.Embedding</c> weights keep 32-bit states (HF's <c>GlobalOptimManager</c> override);</item>
/// <item>APOLLO names: the target weights form the APOLLO group (seeded Gaussian projection, channel or tensor scaling);</item>
/// <item>LOMO: updated inside backward like the layerwise names (no gradient is kept).</item>
/// </list>
/// Example: <c>HfOptimizerFactory.Create("galore_adamw_8bit_layerwise", named, 1e-3, TargetModules.Parse("attn,mlp"), "rank=64, update_proj_gap=200")</c>.
/// </summary>
public static class HfOptimizerFactory
{
    /// <summary>Creates the optimizer for <paramref name="name"/> and an HF <c>optim_args</c> string.</summary>
    /// <param name="name">One of the catalogue's names (HF's aliases such as <c>adamw_torch</c> are accepted).</param>
    /// <param name="parameters">Every trainable parameter, with module names and whether each belongs to a Linear.</param>
    /// <param name="learningRate">The learning rate HF passes.</param>
    /// <param name="targets">optim_target_modules (default <c>["attn", "mlp"]</c>); used by GaLore names only.</param>
    /// <param name="optimArgs">optim_args, e.g. <c>"rank=128, update_proj_gap=200, scale=0.25, proj_type=std"</c> (HF's defaults).</param>
    /// <param name="refresh">Projector refresh method (default: SVD, as the reference).</param>
    public static HfOptimizer Create(string name, IReadOnlyList<NamedParameter> parameters, double learningRate,
        TargetModules? targets = null, string? optimArgs = null, SubspaceRefresh? refresh = null) =>
        Create(OptimizerSetup.FromOptimArgs(name, optimArgs, targets), parameters, learningRate, refresh);

    /// <summary>Creates the optimizer a planner <see cref="OptimizerSetup"/> describes (the same object the planner sizes).</summary>
    public static HfOptimizer Create(OptimizerSetup setup, IReadOnlyList<NamedParameter> parameters, double learningRate,
        SubspaceRefresh? refresh = null)
    {
        TorchNativeLoader.EnsureLoaded();
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException("no parameters to optimize", nameof(parameters));
        var spec = setup.Spec;
        var build = KernelCatalog.BuilderOf(spec.Model);
        var settings = setup.GaLore;
        var mask = setup.SelectGaLore(parameters.Select(p => p.Table).ToList());
        var projected = parameters.Where((_, k) => mask[k]).Select(p => p.Tensor).ToList();
        var regular = parameters.Where((_, k) => !mask[k]).Select(p => p.Tensor).ToList();
        var projectedNames = parameters.Where((_, k) => mask[k]).Select(p => p.Name).ToList();
        var embeddings = parameters.Where(p => p.Table.Kind == TensorKind.Embedding).Select(p => p.Tensor).ToList();

        if (!spec.Layerwise)
            return new HfOptimizer(spec, settings, projectedNames, build(setup, new KernelGroups(regular, projected, embeddings), learningRate, refresh), null);

        var selected = new HashSet<Parameter>(projected, ReferenceEqualityComparer.Instance);
        var updater = new LayerwiseUpdater(parameters.Select(p => p.Tensor), p => selected.Contains(p)
            ? build(setup, new KernelGroups([], [p], embeddings), learningRate, refresh)
            : build(setup, new KernelGroups([p], [], embeddings), learningRate, refresh));
        return new HfOptimizer(spec, settings, projectedNames, null, updater);
    }
}
