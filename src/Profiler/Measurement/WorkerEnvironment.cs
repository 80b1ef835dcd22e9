namespace GaLore.Profiler.Measurement;

/// <summary>
/// Environment for a profiling child process. glibc's malloc serves requests of at least
/// <c>M_MMAP_THRESHOLD</c> with their own mmap and unmaps them on free, but by default that threshold grows
/// to the largest block freed so far (up to 32 MiB), after which large tensors come from the heap and stay
/// resident after being freed (measured here: after one 64 MiB tensor was freed, 100 × 400 KB tensors kept
/// 40 MB resident after their free). Fixing the threshold disables the growth; a trim threshold of 0
/// returns the heap's free top at once. With these, RSS follows live tensors to within the small-block heap.
/// Tiered compilation is off: with it, the JIT re-compiles hot methods at tier 1 after about 30 calls, which lands
/// inside the measured steps and adds its code and data (2–4 MiB measured here on an 8-bit step) to the peak; with
/// it off every method is compiled once, fully, on its first call — in the warm-up steps.
/// The JIT's slab cache is off (<see cref="JitSlabCache"/>).
/// </summary>
public static class WorkerEnvironment
{
    /// <summary>Requests of 16 KiB and more get their own mapping, returned to the OS on free: the planner's CPU rounding
    /// (<see cref="GaLore.Planner.Memory.Rounding.HostMmapThresholdBytes"/>) assumes the same threshold.</summary>
    public static readonly string MmapThreshold = GaLore.Planner.Memory.Rounding.HostMmapThresholdBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>No extra space is added when the heap grows (glibc's default is 128 KiB), so a request under the mmap
    /// threshold never lands in a pad that stays resident.</summary>
    public const string TopPad = "0";

    /// <summary>Free memory at the top of the heap is returned at once.</summary>
    public const string TrimThreshold = "0";

    /// <summary>The JIT keeps none of its freed working memory (<c>DOTNET_JitHostMaxSlabCache</c>, 16 MiB by default).
    /// coreclr's <c>JitHost</c> (src/coreclr/vm/jithost.cpp) caches the 64 KiB slabs a compilation frees and returns them on
    /// the finalizer thread in 2-second flushes after later collections: the cache filled in the warm-up is resident at the
    /// baseline and then freed inside a measured step, which reads low by its size (measured: 108 slabs, 7.1 MiB, freed by
    /// the finalizer thread about 2 s after the warm-up; <c>qwen2-tied-34m-v4k · galore_adamw_layerwise</c> read 196.5 MB
    /// with the cache and 202.1 MB without it, predicted 204.4).</summary>
    public const string JitSlabCache = "0";

    /// <summary>The variables a profiling child gets (merged over the parent's environment).</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_THRESHOLD_"] = MmapThreshold,
        ["MALLOC_TOP_PAD_"] = TopPad,
        ["MALLOC_TRIM_THRESHOLD_"] = TrimThreshold,
        ["DOTNET_TieredCompilation"] = "0",
        ["DOTNET_JitHostMaxSlabCache"] = JitSlabCache,
    };

    /// <summary>The variables of <see cref="Defaults"/> and the allocator and thread settings a worker may inherit, as this
    /// process has them, for the result record.</summary>
    public static IReadOnlyDictionary<string, string> Current()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Defaults.Keys.Concat(["MALLOC_ARENA_MAX", "OMP_NUM_THREADS", "GALORE_LIBTORCH"]))
            if (Environment.GetEnvironmentVariable(name) is { } value) result[name] = value;
        return result;
    }
}
