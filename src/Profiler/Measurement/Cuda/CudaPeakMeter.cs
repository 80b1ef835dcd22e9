using System.Globalization;
using TorchSharp;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>
/// GPU peak: NVML's device-used memory, sampled by a <see cref="MemoryPoller"/> during the window, minus the
/// device-used memory at the baseline (after libtorch created its CUDA context and warmed up, before the model).
/// Because PyTorch's caching allocator keeps freed blocks, used memory ≈ reserved memory + context, so the
/// result is comparable with the planner's prediction under <c>AllocationRounding</c>, not with tensor bytes.
/// NVML counts every process on the GPU: measure on an otherwise idle device. TorchSharp 0.107 has no
/// <c>max_memory_allocated</c> (its <c>torch.cuda</c> offers is_available, device_count, manual_seed(_all),
/// synchronize only); <c>cudaMemGetInfo</c> is recorded alongside as a cross-check when a runtime is found.
/// </summary>
public sealed class CudaPeakMeter : IPeakMeter
{
    readonly NvmlSession nvml;
    readonly ICudaRuntime? cudart;
    readonly int ordinal;
    readonly Action synchronize;
    readonly TimeSpan interval;
    readonly IAllocatorStats? allocator;
    readonly Dictionary<string, string> details = [];
    MemoryPoller? poller;

    /// <summary>Builds a meter from its parts (tests pass fakes). With <paramref name="allocator"/> the caching
    /// allocator's allocated and reserved peaks are recorded too, and its cache is emptied before the baseline.</summary>
    public CudaPeakMeter(NvmlSession nvml, int ordinal, TimeSpan interval, Action synchronize, ICudaRuntime? cudart = null,
        IAllocatorStats? allocator = null)
    {
        this.nvml = nvml;
        this.ordinal = ordinal;
        this.interval = interval;
        this.synchronize = synchronize;
        this.cudart = cudart;
        this.allocator = allocator;
        details["gpu_name"] = nvml.Name;
        details["nvml_index"] = nvml.Index.ToString(CultureInfo.InvariantCulture);
        details["driver_version"] = nvml.DriverVersion;
        details["poll_interval_ms"] = interval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture);
        if (cudart is CudaRuntimeLibrary lib) details["cudart"] = lib.Path;
    }

    /// <summary>Opens NVML and (if found) the CUDA runtime for TorchSharp device <paramref name="device"/>.</summary>
    public static CudaPeakMeter Open(string device, TimeSpan interval)
    {
        int ordinal = CudaDeviceIndex.CudaOrdinal(device);
        uint index = CudaDeviceIndex.NvmlIndex(ordinal, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"));
        var session = NvmlSession.Open(new NvmlLibrary(), index);
        ICudaRuntime? runtime = null;
        string? runtimeError = null;
        try
        {
            runtime = CudaRuntimeLibrary.Load(CudaRuntimeLocator.Candidates(LocatorEnvironment.System));
        }
        catch (GpuMeasurementException e)
        {
            runtimeError = e.Message;
        }
        IAllocatorStats? stats = null;
        string? statsError = null;
        try
        {
            stats = NativeAllocatorStats.FromEnvironment(Environment.GetEnvironmentVariable);
        }
        catch (GpuMeasurementException e)
        {
            statsError = e.Message;
        }
        var meter = new CudaPeakMeter(session, ordinal, interval, () => torch.cuda.synchronize(), runtime, stats);
        if (runtimeError is not null) meter.details["cudart_error"] = runtimeError;
        if (statsError is not null) meter.details["allocator_stats_error"] = statsError;
        if (stats is NativeAllocatorStats n) meter.details["allocator_stats"] = n.Path;
        return meter;
    }

    public string Device => $"{nvml.Name} (cuda:{ordinal}, NVML {nvml.Index})";

    public IReadOnlyDictionary<string, string> Details => details;

    public bool CanReleaseCache => allocator is not null;

    /// <summary>Device memory not in use by anyone (NVML: total − used).</summary>
    public long FreeBytes()
    {
        var m = nvml.Memory();
        return checked((long)m.Total - (long)m.Used);
    }

    public void ReleaseCache()
    {
        synchronize();
        allocator?.EmptyCache();
    }

    public long TakeBaseline()
    {
        synchronize();
        long used = nvml.UsedBytes();
        details["baseline_used_bytes"] = Bytes(used);
        RecordCudart("baseline");
        if (allocator is not null)
        {
            var c = allocator.Read(ordinal);
            details["allocated_baseline_bytes"] = Bytes(c.Allocated);
            details["reserved_baseline_bytes"] = Bytes(c.Reserved);
        }
        return used;
    }

    public void StartWindow()
    {
        synchronize();
        allocator?.ResetPeaks(ordinal);
        poller?.Dispose();
        poller = new MemoryPoller(nvml.UsedBytes, interval);
        poller.Start();
    }

    public long EndWindow()
    {
        if (poller is null) throw new InvalidOperationException("StartWindow was not called");
        synchronize();
        long peak = poller.Stop();
        details["samples"] = poller.Samples.ToString(CultureInfo.InvariantCulture);
        details["end_used_bytes"] = Bytes(nvml.UsedBytes());
        details["peak_used_bytes"] = Bytes(peak);
        RecordCudart("end");
        if (allocator is not null)
        {
            var c = allocator.Read(ordinal);
            details["allocated_peak_bytes"] = Bytes(c.PeakAllocated);
            details["reserved_peak_bytes"] = Bytes(c.PeakReserved);
        }
        return peak;
    }

    void RecordCudart(string when)
    {
        if (cudart is null) return;
        int code = cudart.SetDevice(ordinal);
        if (code == 0) code = cudart.MemGetInfo(out long free, out long total) is var c && c == 0
            ? Record(free, total)
            : c;
        if (code != 0) details[$"cudart_{when}_error"] = $"{cudart.ErrorString(code)} (cudaError {code})";

        int Record(long free, long total)
        {
            details[$"cudart_{when}_used_bytes"] = Bytes(total - free);
            details["cudart_total_bytes"] = Bytes(total);
            return 0;
        }
    }

    static string Bytes(long b) => b.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        poller?.Dispose();
        nvml.Dispose();
    }
}
