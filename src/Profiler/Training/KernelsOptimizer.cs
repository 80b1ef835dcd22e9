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

    /// <summary>Builds the optimizer of the request's step (<see cref="ProfileRequest.Step"/>: the same
    /// <see cref="OptimizerSetup"/> the planner sizes) with its learning rate and refresh method.</summary>
    public static ITrainingOptimizer Create(CausalLm model, ProfileRequest request)
    {
        // Only what trains: a peft model's frozen base has no optimizer state (Trainer's optimizer sees requires_grad params only).
        var named = model.NamedParameters.Where(p => p.Trainable).Select(p => new NamedParameter(p.Table, p.Tensor)).ToList();
        var refresh = request.Refresh switch
        {
            "svd" => Kernels.Projection.SubspaceRefresh.Svd,
            "randomized" => Kernels.Projection.SubspaceRefresh.Randomized,
            var other => throw new ArgumentException($"unknown refresh method '{other}': use svd or randomized"),
        };
        var hf = HfOptimizerFactory.Create(request.Step.Optimizer, named, request.LearningRate, refresh);
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
