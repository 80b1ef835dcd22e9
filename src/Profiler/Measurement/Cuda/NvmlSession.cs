namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>
/// An initialised NVML (<c>nvmlInit_v2</c> … <c>nvmlShutdown</c>) bound to one device. Turns NVML's return
/// codes into <see cref="GpuMeasurementException"/>s that say what is wrong on the machine.
/// </summary>
public sealed class NvmlSession : IDisposable
{
    readonly INvml nvml;
    readonly IntPtr device;
    bool disposed;

    NvmlSession(INvml nvml, uint index, IntPtr device, string name, string driver)
    {
        this.nvml = nvml;
        Index = index;
        this.device = device;
        Name = name;
        DriverVersion = driver;
    }

    /// <summary>NVML index of the device.</summary>
    public uint Index { get; }

    /// <summary>Product name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string Name { get; }

    /// <summary>Driver version, e.g. "580.65.06".</summary>
    public string DriverVersion { get; }

    /// <summary>Initialises NVML and opens device <paramref name="index"/>.</summary>
    public static NvmlSession Open(INvml nvml, uint index)
    {
        Check(nvml, nvml.Init(), "nvmlInit_v2");
        try
        {
            Check(nvml, nvml.DeviceCount(out uint count), "nvmlDeviceGetCount_v2");
            if (index >= count)
                throw new GpuMeasurementException(count == 0
                    ? "NVML sees no GPU on this machine"
                    : $"GPU index {index} does not exist: NVML sees {count} GPU(s), indices 0–{count - 1}");
            Check(nvml, nvml.DeviceHandle(index, out var device), $"nvmlDeviceGetHandleByIndex_v2({index})");
            Check(nvml, nvml.DeviceName(device, out var name), "nvmlDeviceGetName");
            Check(nvml, nvml.DriverVersion(out var driver), "nvmlSystemGetDriverVersion");
            return new NvmlSession(nvml, index, device, name, driver);
        }
        catch
        {
            nvml.Shutdown();
            throw;
        }
    }

    /// <summary>Memory of the whole device, in bytes (every process on it, the CUDA context included).</summary>
    public NvmlMemory Memory()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Check(nvml, nvml.MemoryInfo(device, out var memory), "nvmlDeviceGetMemoryInfo");
        return memory;
    }

    /// <summary>Used bytes of the device.</summary>
    public long UsedBytes() => checked((long)Memory().Used);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        nvml.Shutdown();
    }

    /// <summary>Throws with an explanation unless <paramref name="code"/> is success.</summary>
    public static void Check(INvml nvml, NvmlReturn code, string call)
    {
        if (code == NvmlReturn.Success) return;
        throw new GpuMeasurementException(Explain(code, call, () => nvml.ErrorString(code)));
    }

    /// <summary>What an NVML failure means for the user.</summary>
    public static string Explain(NvmlReturn code, string call, Func<string> errorString) => code switch
    {
        NvmlReturn.LibraryNotFound =>
            "NVML (libnvidia-ml.so.1) was not found: this machine has no NVIDIA driver installed, or the driver's libraries are not on the loader path",
        NvmlReturn.FunctionNotFound => $"the installed NVML lacks {call}: the NVIDIA driver is too old",
        NvmlReturn.DriverNotLoaded => "the NVIDIA kernel driver is not loaded (nvidia-smi fails as well); no GPU can be measured",
        NvmlReturn.NoPermission => $"{call}: no permission to query the GPU (check /dev/nvidia* permissions or container device access)",
        NvmlReturn.GpuIsLost => "the GPU is lost (fell off the bus or hit an unrecoverable error); the machine needs attention",
        NvmlReturn.LibRmVersionMismatch => "the NVML library and the kernel driver have different versions (reboot or reload the driver)",
        _ => $"{call} failed: {errorString()} (NVML code {(int)code})",
    };
}
