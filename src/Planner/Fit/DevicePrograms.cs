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

    /// <summary>Device-used bytes (reserved peak + cuBLAS workspace + context) alone: the fast path for searches.</summary>
    public long DeviceUsedBytes(long batch, long seq) =>
        Reserved.PeakBytes(batch * seq, seq) + Device.CublasWorkspaceBytes + Device.ContextBytes;

    /// <summary>Compiles a step for a device.</summary>
    public static DevicePrograms Compile(StepSpec step, DeviceProfile device)
    {
        var allocated = StepCompiler.Compile(step, device.AllocatedRounding, device.Kind);
        var reserved = device.Kind == DeviceKind.Cuda ? StepCompiler.Compile(step, device.ReservedRounding, device.Kind) : allocated;
        return new DevicePrograms(device, allocated, reserved);
    }
}
