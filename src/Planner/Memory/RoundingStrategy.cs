namespace GaLore.Planner.Memory;

/// <summary>
/// <see cref="Rounding.Apply"/> for one fixed <see cref="AllocationRounding"/>, as a struct type argument: the step
/// evaluators (<see cref="StepProgram"/>, <see cref="PeakKernel"/>) are generic over it, so the JIT emits one loop per
/// rounding with the rounding inlined. <see cref="NoRounding"/> keeps a size as it is (a negative one too).
/// </summary>
internal interface IRoundingStrategy { static abstract long Apply(long bytes); }

internal struct NoRounding : IRoundingStrategy { public static long Apply(long bytes) => bytes; }

internal struct Round512 : IRoundingStrategy { public static long Apply(long bytes) => Rounding.Apply(bytes, AllocationRounding.CudaAllocated); }

internal struct RoundReserved : IRoundingStrategy { public static long Apply(long bytes) => Rounding.Apply(bytes, AllocationRounding.CudaReserved); }

internal struct RoundHost : IRoundingStrategy { public static long Apply(long bytes) => Rounding.Apply(bytes, AllocationRounding.HostMalloc); }
