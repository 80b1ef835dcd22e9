using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Devices;

/// <summary>
/// What a device adds around the tensors: allocator rounding, the CUDA context, cuBLAS workspaces.
/// Device-used memory (what <c>nvidia-smi</c> shows, and what must fit) is the allocator's reserved peak plus
/// the context.
/// </summary>
/// <param name="Kind">CPU or CUDA.</param>
/// <param name="ContextBytes">Memory the CUDA context holds outside PyTorch's allocator (0.25–0.45 GiB with
/// lazy module loading on recent drivers, per NVIDIA's CUDA C++ Programming Guide and PyTorch's notes).</param>
/// <param name="CublasWorkspaceBytes">cuBLAS workspace allocated through the caching allocator (PyTorch's
/// default <c>CUBLAS_WORKSPACE_CONFIG</c>: 32 MiB on Hopper, about 8 MiB before).</param>
public sealed record DeviceProfile(DeviceKind Kind, long ContextBytes, long CublasWorkspaceBytes)
{
    /// <summary>The host: exact allocation sizes, no context.</summary>
    public static readonly DeviceProfile Cpu = new(DeviceKind.Cpu, 0, 0);

    /// <summary>Default CUDA context size assumed for device-used memory.</summary>
    public const long DefaultContextBytes = 450L << 20;

    /// <summary>A CUDA device of the given compute capability.</summary>
    public static DeviceProfile Cuda(double computeCapability, long contextBytes = DefaultContextBytes) =>
        new(DeviceKind.Cuda, contextBytes, computeCapability >= 9.0 ? 32L << 20 : 8L << 20);

    /// <summary>Rounding for the allocated (tensor) peak.</summary>
    public AllocationRounding AllocatedRounding => Kind == DeviceKind.Cuda ? AllocationRounding.CudaAllocated : AllocationRounding.HostMalloc;

    /// <summary>Rounding for the reserved (allocator-held) peak.</summary>
    public AllocationRounding ReservedRounding => Kind == DeviceKind.Cuda ? AllocationRounding.CudaReserved : AllocationRounding.HostMalloc;
}
