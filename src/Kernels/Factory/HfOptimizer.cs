using GaLore.Kernels.Layerwise;
using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Factory;

/// <summary>
/// What a training loop drives, whatever the Hugging Face name: call <see cref="Tap"/> on each parameter in forward
/// (an alias when updates are not layerwise), then after <c>loss.backward()</c> call <see cref="step"/> and
/// <see cref="zero_grad"/>. Non-layerwise: <see cref="Optimizer"/> does the work in <c>step()</c>. Layerwise:
/// <see cref="Layerwise"/> updates during backward and <c>step()</c> only reports errors.
/// </summary>
public sealed class HfOptimizer : IDisposable
{
    internal HfOptimizer(OptimizerSpec spec, GaLoreSettings settings, IReadOnlyList<string> projected, ProjectedOptimizer? optimizer, LayerwiseUpdater? layerwise)
    {
        Spec = spec;
        Settings = settings;
        GaLoreParameterNames = projected;
        Optimizer = optimizer;
        Layerwise = layerwise;
    }

    /// <summary>The decoded name.</summary>
    public OptimizerSpec Spec { get; }

    /// <summary>GaLore's settings (from optim_args; unused when the name has no GaLore).</summary>
    public GaLoreSettings Settings { get; }

    /// <summary>Names of the parameters GaLore projects.</summary>
    public IReadOnlyList<string> GaLoreParameterNames { get; }

    /// <summary>The optimizer stepped by <see cref="step"/> (null when layerwise).</summary>
    public ProjectedOptimizer? Optimizer { get; }

    /// <summary>The layerwise updater (null when not layerwise).</summary>
    public LayerwiseUpdater? Layerwise { get; }

    /// <summary>Whether updates happen during backward.</summary>
    public bool IsLayerwise => Layerwise is not null;

    /// <summary>Per-parameter updates applied so far.</summary>
    public long UpdateCount => Layerwise?.UpdateCount ?? Optimizer!.UpdateCount;

    /// <summary>The tensor to use for <paramref name="weight"/> in forward (see <see cref="LayerwiseUpdater.Tap"/>);
    /// an alias of the weight when updates are not layerwise. The caller owns the result.</summary>
    public Tensor Tap(Tensor weight) => Layerwise?.Tap(weight) ?? weight.alias();

    /// <summary>Applies the step (non-layerwise) or rethrows a backward-time error (layerwise).</summary>
    public void step()
    {
        if (Layerwise is not null)
        {
            Layerwise.step();
            return;
        }
        using var loss = Optimizer!.step();
    }

    /// <summary>Frees (or zeroes) gradients; PyTorch's and HF's default is to free them.</summary>
    public void zero_grad(bool set_to_none = true)
    {
        if (Layerwise is not null) Layerwise.zero_grad(set_to_none);
        else Optimizer!.zero_grad(set_to_none);
    }

    /// <summary>The state kept for <paramref name="parameter"/>.</summary>
    public ParameterState StateOf(Tensor parameter) =>
        Layerwise is not null ? Layerwise.OptimizerOf(parameter).StateOf(parameter) : Optimizer!.StateOf(parameter);

    /// <summary>Disposes the optimizer(s) and their states.</summary>
    public void Dispose()
    {
        Optimizer?.Dispose();
        Layerwise?.Dispose();
    }
}
