namespace GaLore.Planner.Memory;

/// <summary>How an allocator rounds each request before it counts against memory.</summary>
public enum AllocationRounding
{
    /// <summary>Exact bytes.</summary>
    None,
    /// <summary>
    /// The CPU as the profiler's worker runs it: libtorch's CPU allocator (<c>c10::alloc_cpu</c>: <c>posix_memalign</c>, 64-byte
    /// alignment) over glibc malloc with the mmap threshold fixed at 16 KiB and no top pad (<c>WorkerEnvironment</c>). glibc's
    /// <c>_int_memalign</c> asks for the 16-byte-aligned chunk (request + 8) plus alignment (64) plus <c>MINSIZE</c> (32);
    /// a request at or above the threshold is its own mapping of that size plus the 8-byte header, rounded up to whole
    /// 4 KiB pages (<c>sysmalloc</c>) — so a tensor of an exact number of pages occupies one page more; smaller requests are
    /// heap chunks of the 16-byte-aligned size (the alignment slack returns to the heap). Measured (resident bytes per tensor,
    /// 200 tensors, 64 KiB threshold): 1 MiB → 1,058,755 B (this rounding: 1,052,672), 100,000 B → 103,076 (102,400), 64 KiB →
    /// 69,816 (69,632); with glibc's default 128 KiB top pad a request under it could still come from the heap's top, which
    /// the worker's zero top pad prevents.
    /// </summary>
    HostMalloc,
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
            AllocationRounding.HostMalloc => HostChunk(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "unknown rounding"),
        };
    }

    /// <summary>glibc's mmap threshold in the profiler's worker (<c>MALLOC_MMAP_THRESHOLD_</c>; <c>WorkerEnvironment</c> reads
    /// it from here): 16 KiB, so that every tensor but the smallest has its own mapping. At 64 KiB, tensors of 16–128 KiB were
    /// served from the heap and left resident, fragmented free space behind (12 MB on a model with per-expert Linears).</summary>
    public const long HostMmapThresholdBytes = 16 << 10;

    /// <summary>Bytes a CPU tensor of <paramref name="bytes"/> occupies (<see cref="AllocationRounding.HostMalloc"/>).</summary>
    static long HostChunk(long bytes)
    {
        long chunk = Up(bytes + 8, 16);
        long padded = chunk + 64 + 32;
        return padded >= HostMmapThresholdBytes ? Up(padded + 8, 4096) : chunk;
    }

    static long Up(long x, long m) => (x + m - 1) / m * m;
}
