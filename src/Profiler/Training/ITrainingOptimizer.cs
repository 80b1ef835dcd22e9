namespace GaLore.Profiler.Training;

/// <summary>
/// What the step runner needs from an optimizer. Implementations wrap the Kernels optimizers (or the
/// profiler's test optimizers); the runner never sees their types.
/// </summary>
public interface ITrainingOptimizer
{
    /// <summary>Applies one update from the parameters' gradients. A no-op for layerwise optimizers,
    /// whose updates happen inside backward.</summary>
    void Step();

    /// <summary>Sets every gradient to None (<c>zero_grad(set_to_none=True)</c>), freeing it — not zeros.</summary>
    void ZeroGrad();
}
