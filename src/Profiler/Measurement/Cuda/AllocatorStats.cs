using System.Runtime.InteropServices;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>PyTorch's CUDA caching-allocator counters for one device (bytes).</summary>
/// <param name="Allocated">Bytes of live tensor blocks (<c>memory_allocated</c>).</param>
/// <param name="PeakAllocated">Highest <paramref name="Allocated"/> since the last reset (<c>max_memory_allocated</c>).</param>
/// <param name="Reserved">Bytes the allocator holds from the driver (<c>memory_reserved</c>).</param>
/// <param name="PeakReserved">Highest <paramref name="Reserved"/> since the last reset (<c>max_memory_reserved</c>).</param>
public readonly record struct AllocatorCounters(long Allocated, long PeakAllocated, long Reserved, long PeakReserved);

/// <summary>The caching allocator's statistics and controls (TorchSharp 0.107 exposes none of them).</summary>
public interface IAllocatorStats
{
    /// <summary>Reads the counters of <paramref name="device"/>.</summary>
    AllocatorCounters Read(int device);

    /// <summary>Resets the peaks to the current values.</summary>
    void ResetPeaks(int device);

    /// <summary>Returns cached, unused blocks to the driver.</summary>
    void EmptyCache();
}

/// <summary>
/// The allocator statistics through a small native shim (<c>scripts/gpu/cudastats.cpp</c>), compiled against the
/// libtorch in use and named by <see cref="EnvironmentVariable"/>. Bound with <see cref="NativeLibrary"/> so the
/// profiler runs without it (the meter then reports device-used memory only).
/// </summary>
public sealed unsafe class NativeAllocatorStats : IAllocatorStats
{
    /// <summary>Environment variable holding the shim's path.</summary>
    public const string EnvironmentVariable = "GALORE_CUDA_STATS_LIB";

    readonly delegate* unmanaged<int, long*, int> stats;
    readonly delegate* unmanaged<int, int> resetPeaks;
    readonly delegate* unmanaged<int> emptyCache;

    NativeAllocatorStats(IntPtr handle, string path)
    {
        Path = path;
        stats = (delegate* unmanaged<int, long*, int>)NativeLibrary.GetExport(handle, "galore_cuda_memory_stats");
        resetPeaks = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(handle, "galore_cuda_reset_peaks");
        emptyCache = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "galore_cuda_empty_cache");
    }

    /// <summary>The shim's file.</summary>
    public string Path { get; }

    /// <summary>Loads the shim named by <see cref="EnvironmentVariable"/>; null when the variable is unset.</summary>
    /// <exception cref="GpuMeasurementException">The variable names a file that is missing or is not the shim.</exception>
    public static NativeAllocatorStats? FromEnvironment(Func<string, string?> env)
    {
        string? path = env(EnvironmentVariable);
        if (string.IsNullOrEmpty(path)) return null;
        if (!File.Exists(path)) throw new GpuMeasurementException($"{EnvironmentVariable}={path}: no such file");
        try
        {
            return new NativeAllocatorStats(NativeLibrary.Load(path), path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            throw new GpuMeasurementException($"{EnvironmentVariable}={path} is not the allocator-statistics shim: {e.Message}");
        }
    }

    public AllocatorCounters Read(int device)
    {
        long* v = stackalloc long[4];
        Check(stats(device, v), "galore_cuda_memory_stats");
        return new AllocatorCounters(v[0], v[1], v[2], v[3]);
    }

    public void ResetPeaks(int device) => Check(resetPeaks(device), "galore_cuda_reset_peaks");

    public void EmptyCache() => Check(emptyCache(), "galore_cuda_empty_cache");

    static void Check(int code, string what)
    {
        if (code != 0) throw new GpuMeasurementException($"{what} failed (the shim caught a c10 exception)");
    }
}
