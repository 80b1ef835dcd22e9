using System.Globalization;
using GaLore.Kernels.Factory;
using GaLore.Planner.Optimizers;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Model;

namespace GaLore.Profiler.Training;

/// <summary>
/// Drives this project's GaLore kernels (<see cref="HfOptimizerFactory"/>) from the step runner: builds the optimizer a
/// <see cref="ProfileRequest"/> names over the model's parameters, and for layerwise names installs the updater's tap on
/// the model (each parameter is then updated and its gradient freed inside backward).
/// </summary>
public sealed class KernelsOptimizer : ITrainingOptimizer, IDisposable
{
    readonly HfOptimizer inner;

    KernelsOptimizer(HfOptimizer inner) => this.inner = inner;

    /// <summary>The optimizer underneath.</summary>
    public HfOptimizer Inner => inner;

    /// <summary>Request keys understood in <see cref="ProfileRequest.OptimizerArgs"/>: <c>rank</c>, <c>scale</c>,
    /// <c>proj_type</c>, <c>target_modules</c>, <c>lr</c> (default 1e-3), <c>refresh</c> (<c>svd</c> or <c>randomized</c>);
    /// <see cref="ProfileRequest.UpdateProjGap"/> supplies <c>update_proj_gap</c> (else the <c>update_proj_gap</c> key).</summary>
    public static ITrainingOptimizer Create(LlamaModel model, ProfileRequest request)
    {
        var args = request.OptimizerArgs;
        var named = model.NamedParameters.Select(p => new NamedParameter(p.Table, p.Tensor)).ToList();
        var optimArgs = new List<string>();
        foreach (var key in new[] { "rank", "scale", "proj_type" })
            if (args.TryGetValue(key, out var v)) optimArgs.Add($"{key}={v}");
        if (request.UpdateProjGap is { } gap) optimArgs.Add($"update_proj_gap={gap}");
        else if (args.TryGetValue("update_proj_gap", out var g)) optimArgs.Add($"update_proj_gap={g}");
        double lr = args.TryGetValue("lr", out var lrText) ? double.Parse(lrText, CultureInfo.InvariantCulture) : 1e-3;
        var targets = args.TryGetValue("target_modules", out var t) ? TargetModules.Parse(t) : null;
        var refresh = args.TryGetValue("refresh", out var r) && r == "randomized"
            ? Kernels.Projection.SubspaceRefresh.Randomized
            : Kernels.Projection.SubspaceRefresh.Svd;
        var hf = HfOptimizerFactory.Create(request.Optimizer, named, lr, targets, string.Join(", ", optimArgs), refresh);
        if (hf.IsLayerwise)
        {
            model.ParameterTap = hf.Tap;
            model.FreezeForTap();
        }
        return new KernelsOptimizer(hf);
    }

    /// <inheritdoc/>
    public void Step() => inner.step();

    /// <inheritdoc/>
    public void ZeroGrad() => inner.zero_grad(set_to_none: true);

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();
}
