namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>
/// Maps a TorchSharp device string to the CUDA ordinal and to NVML's index. CUDA numbers only the GPUs listed in
/// <c>CUDA_VISIBLE_DEVICES</c>; NVML always numbers all of them, so <c>cuda:1</c> with <c>CUDA_VISIBLE_DEVICES=2,3</c>
/// is NVML device 3.
/// </summary>
public static class CudaDeviceIndex
{
    /// <summary>The ordinal in <c>cuda</c> (0) or <c>cuda:N</c>.</summary>
    public static int CudaOrdinal(string device)
    {
        var d = device.Trim().ToLowerInvariant();
        if (d == "cuda") return 0;
        if (d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], out int n) && n >= 0) return n;
        throw new ArgumentException($"'{device}' is not a CUDA device (use cuda or cuda:N)");
    }

    /// <summary>NVML's index for CUDA ordinal <paramref name="ordinal"/> under <paramref name="visibleDevices"/>
    /// (the value of CUDA_VISIBLE_DEVICES, or null).</summary>
    public static uint NvmlIndex(int ordinal, string? visibleDevices)
    {
        if (string.IsNullOrWhiteSpace(visibleDevices)) return (uint)ordinal;
        var entries = visibleDevices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (ordinal >= entries.Length)
            throw new GpuMeasurementException($"cuda:{ordinal} does not exist: CUDA_VISIBLE_DEVICES='{visibleDevices}' exposes {entries.Length} GPU(s)");
        if (!uint.TryParse(entries[ordinal], out uint index))
            throw new GpuMeasurementException(
                $"CUDA_VISIBLE_DEVICES entry '{entries[ordinal]}' is not a numeric index (UUID and MIG forms are not supported for NVML measurement)");
        return index;
    }
}
