using GaLore.Planner.Devices;
using GaLore.Planner.Inputs;
using GaLore.Planner.Memory;

namespace GaLore.Planner.Fit;

/// <summary>A complete "does it fit?" question.</summary>
/// <param name="Step">Model, optimizer, precision, checkpointing, attention, runtime.</param>
/// <param name="Batch">Micro-batch size (sequences per step).</param>
/// <param name="Seq">Sequence length in tokens.</param>
/// <param name="Gpu">The card.</param>
/// <param name="ContextBytes">CUDA context outside the allocator.</param>
/// <param name="ReserveBytes">Memory to keep free for other processes (a display, a second job).</param>
public sealed record FitQuery(StepSpec Step, int Batch, int Seq, GpuSpec Gpu, long ContextBytes = DeviceProfile.DefaultContextBytes, long ReserveBytes = 0)
{
    /// <summary>The device profile implied by the GPU.</summary>
    public DeviceProfile Device => DeviceProfile.Cuda(Gpu.ComputeCapability, ContextBytes);

    /// <summary>Bytes the run may use.</summary>
    public long UsableBytes => Gpu.CapacityBytes - ReserveBytes;

    /// <summary>Rejects a batch or sequence that is not positive or beyond any real run (<see cref="InputBounds"/>), a
    /// reserve or CUDA context that is negative or leaves nothing of the card, and a step whose model is out of bounds.</summary>
    public FitQuery Validate()
    {
        InputBounds.Positive(Batch, InputBounds.MaxBatch, "batch");
        InputBounds.Positive(Seq, InputBounds.MaxSeq, "sequence length");
        ValidateCard(Gpu, ReserveBytes, ContextBytes);
        return this;
    }

    /// <summary>Rejects a reserve or CUDA context that is negative, or that leaves nothing of the card.</summary>
    public static void ValidateCard(GpuSpec gpu, long reserveBytes, long contextBytes)
    {
        const double GiB = 1L << 30;
        if (reserveBytes < 0) throw new PlannerInputException("reserve must not be negative");
        if (contextBytes < 0) throw new PlannerInputException("CUDA context size must not be negative");
        if (reserveBytes >= gpu.CapacityBytes)
            throw new PlannerInputException($"the reserve ({reserveBytes / GiB:0.##} GiB) leaves nothing of {gpu.Name}'s {gpu.CapacityBytes / GiB:0.##} GiB");
        long usable = gpu.CapacityBytes - reserveBytes;
        if (contextBytes >= usable)
            throw new PlannerInputException(
                $"the CUDA context ({contextBytes / GiB:0.##} GiB) is larger than the {usable / GiB:0.##} GiB usable on {gpu.Name}: no real context is");
    }
}
