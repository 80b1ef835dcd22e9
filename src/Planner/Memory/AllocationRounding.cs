namespace GaLore.Planner.Memory;

/// <summary>How an allocator rounds each request before it counts against memory.</summary>
public enum AllocationRounding
{
    /// <summary>Exact bytes (CPU: libtorch's allocator over glibc malloc/mmap adds only page rounding, ignored).</summary>
    None,
    /// <summary>PyTorch's CUDA caching allocator: every block is a multiple of 512 B (what
    /// <c>max_memory_allocated</c> counts).</summary>
    CudaAllocated,
    /// <summary>Blocks above 1 MiB come from the large pool, rounded up to 2 MiB; smaller ones to 512 B
    /// (<c>c10/cuda/CUDACachingAllocator.cpp</c>: kMinBlockSize, kSmallSize, kRoundLarge) — a lower bound
    /// on what <c>max_memory_reserved</c> counts.</summary>
    CudaReserved,
}

/// <summary>Rounding arithmetic.</summary>
public static class Rounding
{
    const long MiB = 1 << 20;

    /// <summary>Rounds a request as the allocator would.</summary>
    public static long Apply(long bytes, AllocationRounding rounding)
    {
        if (bytes <= 0) return 0;
        return rounding switch
        {
            AllocationRounding.CudaAllocated => Up(bytes, 512),
            AllocationRounding.CudaReserved => bytes > MiB ? Up(bytes, 2 * MiB) : Up(bytes, 512),
            AllocationRounding.None => bytes,
            _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "unknown rounding"),
        };
    }

    static long Up(long x, long m) => (x + m - 1) / m * m;
}
