using GaLore.Planner.Devices;
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

    /// <summary>Rejects non-positive batch or sequence and a sequence beyond the model's context.</summary>
    public FitQuery Validate()
    {
        if (Batch <= 0) throw new PlannerInputException($"batch must be a positive integer, got {Batch}");
        if (Seq <= 0) throw new PlannerInputException($"sequence length must be a positive integer, got {Seq}");
        if (ReserveBytes < 0) throw new PlannerInputException("reserve must not be negative");
        if (ContextBytes < 0) throw new PlannerInputException("CUDA context size must not be negative");
        return this;
    }
}
