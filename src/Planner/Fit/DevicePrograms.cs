using GaLore.Planner.Devices;
using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Fit;

/// <summary>A step compiled for a device: one program per allocator view (allocated, and reserved on CUDA).</summary>
public sealed class DevicePrograms
{
    DevicePrograms(DeviceProfile device, StepProgram allocated, StepProgram reserved)
    {
        Device = device;
        Allocated = allocated;
        Reserved = reserved;
    }

    /// <summary>The device.</summary>
    public DeviceProfile Device { get; }

    /// <summary>Tensor bytes with the allocator's per-tensor rounding (<c>max_memory_allocated</c>).</summary>
    public StepProgram Allocated { get; }

    /// <summary>Bytes the allocator holds (<c>max_memory_reserved</c>); the same program on CPU.</summary>
    public StepProgram Reserved { get; }

    /// <summary>Device-used bytes (reserved peak + cuBLAS workspace + context) alone: the fast path for searches.
    /// Throws <see cref="PlannerInputException"/> naming the batch shape when its sizes are beyond exact 64-bit arithmetic
    /// (<see cref="RequireExact"/>).</summary>
    public long DeviceUsedBytes(long batch, long seq)
    {
        RequireExact(batch, seq);
        return Reserved.PeakBytes(batch * seq, seq) + Device.CublasWorkspaceBytes + Device.ContextBytes;
    }

    /// <summary>Whether the evaluator's arithmetic is exact at this batch shape (<see cref="StepProgram.IsExact"/>).</summary>
    public bool IsExact(long batch, long seq) =>
        batch > 0 && seq > 0 && batch <= int.MaxValue && seq <= int.MaxValue
        && Allocated.IsExact(batch * seq, seq) && Reserved.IsExact(batch * seq, seq);

    /// <summary>Fails with a one-line input error when the batch shape's sizes could overflow the evaluator's arithmetic.</summary>
    public void RequireExact(long batch, long seq)
    {
        if (!IsExact(batch, seq))
            throw new PlannerInputException(
                $"batch {batch:N0} × sequence length {seq:N0}: the step's tensors would exceed 4 EiB (2^62 bytes), beyond any device; use a smaller batch or sequence");
    }

    /// <summary>
    /// Whether the device-used peak at (<paramref name="batch"/>, <paramref name="seq"/>) is at most <paramref name="usableBytes"/>.
    /// Where the sizes are beyond exact arithmetic the answer is still exact: the largest tensor alone
    /// (<see cref="StepProgram.LargestTensorLowerBound"/>) then exceeds every accepted capacity (4 TiB), so the point does
    /// not fit — and if it somehow did not, the point is refused rather than guessed.
    /// </summary>
    public bool FitsWithin(long batch, long seq, long usableBytes)
    {
        if (IsExact(batch, seq)) return Reserved.PeakBytes(batch * seq, seq) + Device.CublasWorkspaceBytes + Device.ContextBytes <= usableBytes;
        if (Reserved.LargestTensorLowerBound(batch * seq, seq) > usableBytes) return false;
        RequireExact(batch, seq);
        return false;
    }

    /// <summary>Compiles a step for a device.</summary>
    public static DevicePrograms Compile(StepSpec step, DeviceProfile device)
    {
        var allocated = StepCompiler.Compile(step, device.AllocatedRounding, device.Kind);
        var reserved = device.Kind == DeviceKind.Cuda ? StepCompiler.Compile(step, device.ReservedRounding, device.Kind) : allocated;
        return new DevicePrograms(device, allocated, reserved);
    }
}
