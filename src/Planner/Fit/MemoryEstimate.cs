using GaLore.Planner.Devices;
using GaLore.Planner.Memory;

namespace GaLore.Planner.Fit;

/// <summary>
/// The predicted peak of one step on one device: tensors (allocated), the allocator's holding (reserved)
/// and what the device shows as used (reserved + context).
/// </summary>
/// <param name="AllocatedBytes">Peak of live tensor bytes (PyTorch's <c>max_memory_allocated</c>).</param>
/// <param name="ReservedBytes">Peak the caching allocator holds (<c>max_memory_reserved</c>); equals
/// <paramref name="AllocatedBytes"/> on CPU.</param>
/// <param name="DeviceUsedBytes">Reserved plus the CUDA context (what <c>nvidia-smi</c> shows).</param>
/// <param name="Breakdown">Where the bytes are at the peak; <see cref="CategoryBytes.Other"/> includes
/// rounding, cuBLAS workspace and context, so the rows sum to <paramref name="DeviceUsedBytes"/>.</param>
/// <param name="Phase">Phase of the step at the peak.</param>
/// <param name="Label">Event at the peak.</param>
/// <param name="PagedBytes">Optimizer states in CUDA unified memory (bitsandbytes' paged states): part of
/// <paramref name="DeviceUsedBytes"/> and of the breakdown's optimizer states, not of the allocator's figures.</param>
public sealed record MemoryEstimate(long AllocatedBytes, long ReservedBytes, long DeviceUsedBytes, CategoryBytes Breakdown, string Phase, string Label,
    long PagedBytes = 0)
{
    /// <summary>Evaluates a compiled step for a batch on its device.</summary>
    public static MemoryEstimate Of(DevicePrograms programs, long batch, long seq)
    {
        programs.RequireExact(batch, seq);
        var device = programs.Device;
        long tokens = batch * seq;
        var allocated = programs.Allocated.Evaluate(tokens, seq);
        long workspace = device.CublasWorkspaceBytes;
        long paged = programs.Reserved.PagedBytes;
        long allocatedBytes = allocated.PeakBytes + workspace;
        long reservedBytes = ReferenceEquals(programs.Reserved, programs.Allocated)
            ? allocatedBytes
            : programs.Reserved.PeakBytes(tokens, seq) + workspace;
        long used = reservedBytes + device.ContextBytes;
        var breakdown = allocated.AtPeak;
        breakdown.Other += used - allocated.PeakBytes;
        // Paged states are in the device's memory but not in PyTorch's allocator: out of its allocated and reserved peaks.
        return new MemoryEstimate(allocatedBytes - paged, reservedBytes - paged, used, breakdown, allocated.Phase, allocated.Label, paged);
    }
}
