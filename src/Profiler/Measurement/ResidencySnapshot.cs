using System.Globalization;
using System.Runtime.InteropServices;
using GaLore.Kernels.Native;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// Where a process's resident memory is at one moment — a diagnostic that explains a CPU measurement (the peak itself is
/// <see cref="CpuPeakMeter"/>'s VmHWM). Sources: <c>/proc/self/status</c> (proc(5): <c>VmRSS</c> = <c>RssAnon</c> +
/// <c>RssFile</c> + <c>RssShmem</c>; file pages are mapped code and data such as libtorch's, which count once touched),
/// .NET's GC (<see cref="GC.GetGCMemoryInfo()"/>: committed bytes of the managed heap, which the GC may decommit at any
/// collection), glibc's <c>mallinfo2</c> (malloc(3): <c>arena</c> = bytes of the sbrk heap, <c>fordblks</c> = free bytes
/// in it, <c>hblkhd</c> = bytes in blocks with their own mmap — with the worker's 16 KiB mmap threshold, every tensor of
/// at least 16 KiB) and MKL's own allocator (<c>mkl_serv_mem_stat</c>, exported by libtorch_cpu.so, which links MKL
/// statically: bytes MKL holds in its buffer pool, allocated or not yet touched; null when the symbol is absent).
/// </summary>
/// <param name="RssBytes">VmRSS.</param>
/// <param name="RssAnonBytes">RssAnon: anonymous resident pages (heap, mmaps, the GC's heap).</param>
/// <param name="RssFileBytes">RssFile: resident pages of mapped files.</param>
/// <param name="ManagedCommittedBytes">The GC's committed bytes after the last collection.</param>
/// <param name="MallocHeapBytes">mallinfo2 <c>arena</c>.</param>
/// <param name="MallocHeapFreeBytes">mallinfo2 <c>fordblks</c>.</param>
/// <param name="MallocMappedBytes">mallinfo2 <c>hblkhd</c>.</param>
/// <param name="MklPoolBytes">MKL's allocator, or null.</param>
public sealed record ResidencySnapshot(long RssBytes, long RssAnonBytes, long RssFileBytes, long ManagedCommittedBytes,
    long MallocHeapBytes, long MallocHeapFreeBytes, long MallocMappedBytes, long? MklPoolBytes)
{
    /// <summary>Reads every counter now (Linux only).</summary>
    public static ResidencySnapshot Take()
    {
        var status = File.ReadAllText("/proc/self/status");
        long Field(string name) => ProcStatus.Parse(status, name) ?? throw new InvalidOperationException($"/proc/self/status has no {name} line");
        var m = Glibc.mallinfo2();
        return new ResidencySnapshot(Field("VmRSS"), Field("RssAnon"), Field("RssFile"), GC.GetGCMemoryInfo().TotalCommittedBytes,
            (long)m.arena, (long)m.fordblks, (long)m.hblkhd, Mkl.PoolBytes());
    }

    /// <summary>Adds the counters, in bytes, as <c>{prefix}_rss_bytes</c>, <c>{prefix}_rss_anon_bytes</c>, ….</summary>
    public void WriteTo(IDictionary<string, string> details, string prefix)
    {
        void Put(string name, long value) => details[$"{prefix}_{name}_bytes"] = value.ToString(CultureInfo.InvariantCulture);
        Put("rss", RssBytes);
        Put("rss_anon", RssAnonBytes);
        Put("rss_file", RssFileBytes);
        Put("managed_committed", ManagedCommittedBytes);
        Put("malloc_heap", MallocHeapBytes);
        Put("malloc_heap_free", MallocHeapFreeBytes);
        Put("malloc_mapped", MallocMappedBytes);
        if (MklPoolBytes is { } mkl) Put("mkl_pool", mkl);
    }

    /// <summary>MKL's <c>mkl_serv_mem_stat(int* buffers)</c> from the libtorch_cpu.so this process loaded.</summary>
    static class Mkl
    {
        delegate long MemStat(out int buffers);

        static readonly MemStat? Stat = Find();

        static MemStat? Find()
        {
            TorchNativeLoader.EnsureLoaded();
            var path = ProcessMaps.FindMapped("libtorch_cpu.so");
            if (path is null || !NativeLibrary.TryLoad(path, out var handle)) return null;
            return NativeLibrary.TryGetExport(handle, "mkl_serv_mem_stat", out var f) ? Marshal.GetDelegateForFunctionPointer<MemStat>(f) : null;
        }

        public static long? PoolBytes() => Stat is { } s ? s(out _) : null;
    }
}
