using GaLore.Planner.Memory;

namespace GaLore.Planner.Parallel;

/// <summary>
/// What a run's <see cref="Parallelism"/> means for one GPU, for the output: the engine's dtypes, the model states each GPU
/// keeps (exact bytes, no allocator rounding), the host memory an offload needs, DDP's bucket bytes, and the compatibility
/// warnings. The timeline itself (peaks, breakdown) comes from the compiled step.
/// </summary>
/// <param name="Parallel">The run's parallelism.</param>
/// <param name="Layout">The dtypes the engine keeps each tensor in.</param>
/// <param name="ModelStates">Weights, kept gradients and optimizer states per GPU (<see cref="ZeroModelStates"/>'s terms).</param>
/// <param name="HostBytesPerGpu">Pinned host memory each GPU's process needs for what is offloaded (0 without offload).</param>
/// <param name="DdpBucketBytes">DDP's gradient buckets per GPU (0 for other engines).</param>
/// <param name="Warnings">Where the libraries run, but not as one might assume.</param>
public sealed record ParallelSummary(Parallelism Parallel, TrainingLayout Layout, CategoryBytes ModelStates, long HostBytesPerGpu,
    long DdpBucketBytes, IReadOnlyList<string> Warnings)
{
    /// <summary>Host memory of all N processes (one node holds them all when it has N GPUs).</summary>
    public long HostBytesTotal => HostBytesPerGpu * Parallel.Gpus;

    /// <summary>Summarises a step (after checking it).</summary>
    public static ParallelSummary Of(StepSpec s)
    {
        var warnings = Compatibility.Check(s);
        var layout = StepCompiler.LayoutOf(s.Model);
        var hooks = s.Parallel.Strategy.Hooks(s, layout, s.Optimizer.SelectGaLore(layout.Parameters), AllocationRounding.None);
        return new ParallelSummary(s.Parallel, s.Parallel.Strategy.Layout(s.Precision), hooks.ModelStates, hooks.HostBytes, hooks.DdpBucketBytes, warnings);
    }
}
